"""Exercise planted_bug: find a wrong gradient with gradcheck's report.

``lerp(a, b, w) = a + w * (b - a)`` moves a fraction w of the way from a to
b (w broadcasts: one weight per column, or one for all). Its backward below
has one planted mistake. Do not hunt for it by reading: let gradcheck find it.

1. Run this file as it is:  python planted_bug.py
   It runs ``mg.gradcheck`` and prints the report. Read it: which input's
   gradient is wrong (a, b or w)? At which element? How do the analytic and
   the numerical values compare?
2. Write that input's name in WRONG_INPUT below.
3. Work out the derivative of y with respect to that input on paper, fix
   the one wrong line of ``backward``, and run the file again: gradcheck
   must now print True.

Check:  minigrad exercise check planted_bug
"""
import numpy as np

from minigrad.autograd import Function
from minigrad.ops_math import sum_to


class Lerp(Function):
    """y = a + w * (b - a), broadcasting like NumPy."""

    label = "lerp"

    def forward(self, a, b, w):
        return a + w * (b - a)

    def backward(self, gy):
        """(dL/da, dL/db, dL/dw), each summed back to its input's shape."""
        a, b, w = (t.data for t in self.inputs)
        ga = sum_to(gy * (1 - w), a.shape)
        gb = sum_to(gy * w, b.shape)
        gw = sum_to(gy * (b - a), w.shape)
        return ga, gb, gw


WRONG_INPUT = "w"   # gradcheck's report: analytic = -numerical for input 2


def lerp(a, b, w):
    """lerp of three Tensors, with gradient."""
    return Lerp()(a, b, w)


if __name__ == "__main__":
    import minigrad as mg

    rng = np.random.default_rng(0)
    a = mg.Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="a")
    b = mg.Tensor(rng.normal(size=(2, 3)), requires_grad=True, name="b")
    w = mg.Tensor(rng.uniform(size=3), requires_grad=True, name="w")
    try:
        print(mg.gradcheck(lerp, [a, b, w]))
    except mg.GradcheckError as report:
        print(report)
