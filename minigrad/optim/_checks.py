"""Hyperparameter checks shared by the update rules.

Each raises at construction (and again at ``step`` / ``load_state_dict`` if a
param group was edited) with the bad value and what was expected in the
message, in the spirit of ``ValueError(f"Invalid learning rate: {lr}")``.
"""
import math
import numbers

import numpy as np


def real(name, value, low=0.0, high=None, high_open=True):
    """A finite real number in ``[low, high)`` (``[low, high]`` if not
    ``high_open``); NaN and infinities are rejected."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Invalid {name}: {value!r} (expected a real number)")
    value = float(value)
    if not math.isfinite(value) or value < low:
        raise ValueError(f"Invalid {name}: {value} (expected a finite value "
                         f">= {low})")
    if high is not None and (value >= high if high_open else value > high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"Invalid {name}: {value} (expected a value in "
                         f"[{low}, {high}{bracket})")
    return value


def flag(name, value):
    """A bool (NumPy bools accepted)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Invalid {name}: {value!r} (expected True or False)")
    return bool(value)


def betas(value):
    """A pair ``(beta1, beta2)``, each in ``[0, 1)``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"Invalid betas: {value!r} (expected a pair "
                         "(beta1, beta2))")
    return (real("beta parameter at index 0", value[0], 0.0, 1.0),
            real("beta parameter at index 1", value[1], 0.0, 1.0))


def common(group):
    """The hyperparameters every rule has: lr and weight_decay."""
    real("learning rate", group["lr"])
    real("weight_decay value", group["weight_decay"])


def adam_family(group):
    """What Adam, AdamW and LAMB share: lr, weight_decay, betas and eps."""
    common(group)
    betas(group["betas"])
    real("epsilon value", group["eps"])


def on_nonfinite(value):
    if value not in (None, "raise", "skip"):
        raise ValueError(f"Invalid on_nonfinite: {value!r} (expected None, "
                         "'raise' or 'skip')")
    return value
