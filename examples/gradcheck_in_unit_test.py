"""Use mg.gradcheck in your own unit tests.

    python -m pytest examples/gradcheck_in_unit_test.py -q
    python examples/gradcheck_in_unit_test.py          (runs the same checks)

You wrote a new operation -- here a numerically stable softplus,
softplus(x) = log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), with its
derivative sigmoid(x) -- and want to know its backward is right. gradcheck
compares backward's gradient with central differences,
(f(x + eps) - f(x - eps)) / (2 eps), using a random cotangent, in float64.
A mistake makes it raise GradcheckError naming the input, the worst element
and both values; the second test shows that with a deliberately wrong
derivative.
"""
import numpy as np

import minigrad as mg
from minigrad.autograd import Function


class Softplus(Function):
    """y = log(1 + e^x), computed without overflow; dy/dx = sigmoid(x)."""
    label = "softplus"

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(self, gy):
        return (gy / (1 + np.exp(-self.x)),)


class WrongSoftplus(Softplus):
    label = "wrong_softplus"

    def backward(self, gy):  # planted bugs: sigmoid(-x) for sigmoid(x), and a stray *2
        return (gy / (1 + np.exp(self.x)) * 2,)


def softplus(x):
    return Softplus()(x)


def test_softplus_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.normal(scale=3.0, size=(4, 5)), requires_grad=True,
                  dtype=np.float64)           # gradcheck needs float64
    assert mg.gradcheck(softplus, [x])
    # composed with other ops, broadcasting included
    b = mg.Tensor(rng.normal(size=5), requires_grad=True, dtype=np.float64)
    assert mg.gradcheck(lambda x, b: softplus(x * b + 1.0).sum(axis=0), [x, b])


def test_gradcheck_catches_a_wrong_backward():
    x = mg.Tensor(np.linspace(-2, 2, 7), requires_grad=True, dtype=np.float64)
    try:
        mg.gradcheck(lambda x: WrongSoftplus()(x), [x])
    except mg.GradcheckError as err:
        print("as expected, gradcheck says:\n ", err)
    else:
        raise AssertionError("gradcheck missed a wrong derivative")
    assert mg.gradcheck(lambda x: WrongSoftplus()(x), [x],
                        raise_exception=False) is False


if __name__ == "__main__":
    test_softplus_gradient_matches_finite_differences()
    test_gradcheck_catches_a_wrong_backward()
    print("all gradient checks behaved as expected")
