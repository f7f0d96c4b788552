"""Newton's method on the 2-D landscapes, with the Hessian from minigrad.

    p_{k+1} = p_k - (H(p_k) + s I)^{-1} grad f(p_k)

``mg.hessian`` and ``mg.grad`` give H and the gradient by differentiating
the surface's own formula twice (no hand-written derivatives).

* ``newton`` (s = 0): the local quadratic model's minimiser, in one solve.
  On a quadratic such as the ravine one step lands on the minimum, whatever
  the condition number that makes gradient descent zig-zag. But it solves
  grad f = 0, so it heads for *any* critical point: started near the
  saddle's ridge, where H has a negative eigenvalue, it walks onto the
  saddle and stays there.
* ``damped-newton`` (Levenberg-Marquardt style): s = max(0, -lambda_min(H))
  + ``DAMPING``, so H + s I is positive definite, every step goes downhill,
  and at the saddle it turns away to a minimum. Near a minimum (H positive
  definite) it is Newton with H + DAMPING I: a little slower, still fast.
"""
import numpy as np

# name -> damping added to H (after shifting its spectrum to be positive)
METHODS = {"newton": None, "damped-newton": 0.1}
DAMPING = METHODS["damped-newton"]
STEPS = 20  # Newton needs few steps: its default is this, not the surface's


def newton_step(f, point, damping=None):
    """The step (H + s I)^{-1} g at ``point`` for the scalar ``f(tensor)``;
    ``damping`` None is Newton's method (s = 0)."""
    from ..backward import grad
    from ..higher_order import hessian
    from ..tensor import Tensor

    x = Tensor(point, requires_grad=True)
    (g,) = grad(f(x), x)
    h = hessian(f, Tensor(point)).data
    if damping is not None:
        shift = max(0.0, -float(np.linalg.eigvalsh(h).min())) + damping
        h = h + shift * np.eye(len(point))
    return np.linalg.solve(h, g.data)


def newton_path(surface, name="newton", steps=None):
    """``steps`` Newton (or damped Newton) steps from ``surface.start``:
    an array of shape (steps + 1, 2), like ``surfaces.run_path``."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose from "
                         f"{', '.join(METHODS)}")
    steps = STEPS if steps is None else steps

    def f(p):
        return surface.f(p[0], p[1])

    path = np.empty((steps + 1, 2))
    path[0] = surface.start
    for k in range(1, steps + 1):
        path[k] = path[k - 1] - newton_step(f, path[k - 1].copy(), METHODS[name])
    return path
