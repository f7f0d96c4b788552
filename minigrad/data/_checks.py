"""Argument checks shared by the toy-data generators and the DataLoader.

Each check raises a specific exception whose message names the argument, the
bad value and what was expected, before anything is computed or changed.
"""
import math
import numbers

import numpy as np


def check_int(name, value, minimum):
    """``value`` must be a Python/NumPy integer (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer, got {value!r} "
            f"of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_real(name, value, minimum=None, strict=False):
    """``value`` must be a finite real number, >= (or > if strict) ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} "
            f"of type {type(value).__name__}"
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None:
        if strict and not value > minimum:
            raise ValueError(f"{name} must be > {minimum}, got {value}")
        if not strict and not value >= minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def make_generator(seed):
    """A NumPy Generator for ``seed``.

    ``None`` draws from minigrad's global generator, so ``mg.manual_seed`` makes
    the result reproducible; an int >= 0 seeds a fresh generator; a
    ``np.random.Generator`` is used as given.
    """
    if seed is None:
        from ..config import rng

        return np.random.default_rng(int(rng().integers(2**63)))
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int("seed", seed, 0))
