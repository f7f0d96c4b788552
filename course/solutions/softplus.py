"""Exercise softplus: write the backward of a new op.

softplus(x) = log(1 + e^x) is a smooth ReLU. Its forward is written for you
in the overflow-free form max(x, 0) + log(1 + e^-|x|) (np.logaddexp(0, x)).

Your task: write ``Softplus.backward``. It receives ``gy`` = dL/dy (an array
shaped like y) and returns dL/dx = gy * dy/dx. Work out dy/dx on paper first:

    y = log(1 + e^x)   =>   dy/dx = e^x / (1 + e^x) = ...?

(it is a function you know). Keep it finite for any x: e^x overflows for
x > 709, so write it with an exp of a number that is never positive.

Check:  minigrad exercise check softplus
"""
import numpy as np

from minigrad.autograd import Function


class Softplus(Function):
    """y = log(1 + e^x), elementwise."""

    label = "softplus"

    def forward(self, x):
        self.x = x                      # saved for backward
        return np.logaddexp(0.0, x)

    def backward(self, gy):
        """dL/dx from gy = dL/dy."""
        x = self.x
        # dy/dx = sigmoid(x), written so that exp never sees a positive number
        z = np.exp(-np.abs(x))
        sigmoid = np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
        return gy * sigmoid


def softplus(x):
    """softplus of a Tensor, with gradient."""
    return Softplus()(x)


if __name__ == "__main__":
    import minigrad as mg

    x = mg.Tensor(np.linspace(-3, 3, 7), requires_grad=True, dtype=np.float64)
    print(mg.gradcheck(softplus, [x]))
