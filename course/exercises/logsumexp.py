"""Exercise logsumexp: the backward of a reduction.

logsumexp(x, axis) = log(sum_j exp(x_j)) along ``axis``: a smooth maximum,
and the normaliser of softmax. The forward is written for you in the stable
form m + log(sum exp(x - m)) with m the maximum, so it never overflows.

Your task: write ``LogSumExp.backward``. The output y has one axis fewer
than x; ``gy`` = dL/dy has y's shape, and backward must return dL/dx with
x's shape. On paper:

    y = log(sum_j e^{x_j})   =>   dy/dx_i = e^{x_i} / sum_j e^{x_j} = ...?

Two things to get right: the shapes (put the reduced axis back into gy with
np.expand_dims so that it broadcasts), and large inputs (x = 1000 must give
a finite gradient: reuse the trick of the forward).

Check:  minigrad exercise check logsumexp
"""
import numpy as np

from minigrad.autograd import Function


class LogSumExp(Function):
    """y = log(sum(exp(x), axis)), the axis removed."""

    label = "logsumexp"

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        m = np.max(x, axis=self.axis, keepdims=True)
        y = m + np.log(np.sum(np.exp(x - m), axis=self.axis, keepdims=True))
        self.x, self.y = x, y             # saved for backward (y keeps the axis)
        return np.squeeze(y, axis=self.axis)

    def backward(self, gy):
        """dL/dx from gy = dL/dy."""
        x, y = self.x, self.y
        raise NotImplementedError("write dL/dx = gy * dy/dx here")


def logsumexp(x, axis=-1):
    """logsumexp of a Tensor along ``axis``, with gradient."""
    return LogSumExp(axis)(x)


if __name__ == "__main__":
    import minigrad as mg

    x = mg.Tensor(np.random.default_rng(0).normal(size=(3, 4)),
                  requires_grad=True, dtype=np.float64)
    print(mg.gradcheck(lambda t: logsumexp(t, axis=1), [x]))
