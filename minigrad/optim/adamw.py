"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2017,
arXiv:1711.05101)."""
from collections import namedtuple

from .adam import Adam, adam_step, adam_update_element

__all__ = ["AdamW"]

# Adam's coefficients, with the decay factor 1 - lr * wd instead of wd
Coefficients = namedtuple(
    "AdamWCoefficients", "decay step_size beta1 one_minus_beta1 beta2 "
    "one_minus_beta2 eps sqrt_bias_correction2")


class AdamW(Adam):
    r"""AdamW, exactly ``torch.optim.AdamW``: Adam with decoupled weight decay.

    ::

        p = p * (1 - lr * weight_decay)        (first, on the old p)
        Adam step with the raw gradient (no L2 term)

    Defaults: as Adam but ``weight_decay=1e-2``. With ``weight_decay=0`` it is
    Adam exactly.
    """

    kernel = "adamw"
    Coefficients = Coefficients

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                 weight_decay=1e-2, amsgrad=False, *, backend="cpu",
                 on_nonfinite=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps,
                         weight_decay=weight_decay, amsgrad=amsgrad,
                         backend=backend, on_nonfinite=on_nonfinite)

    def _reference(self, p, g, state, group, t):
        p[...] = p * (1 - group["lr"] * group["weight_decay"])
        adam_step(p, g, state, group["lr"], *group["betas"], group["eps"],
                  group["amsgrad"], t)

    def _coefficients(self, group, t):
        adam = super()._coefficients(group, t)._asdict()
        del adam["weight_decay"]  # decoupled: it is in decay instead
        return Coefficients(decay=1 - group["lr"] * group["weight_decay"],
                            **adam)

    def _flags(self, group):
        return (int(group["amsgrad"]),)


# ---- per element, plain Python: compiled into the kernels (kernels/jit.py).
def adamw_element(p, g, m, v, vmax, c, amsgrad):
    """Decoupled decay ``p * (1 - lr wd)`` first, then the Adam step with the
    raw gradient."""
    return adam_update_element(p * c.decay, g, m, v, vmax, c, amsgrad)


ELEMENT_FUNCTIONS = (adamw_element,)
