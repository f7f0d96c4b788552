"""Package-wide settings: the default float dtype and minigrad's random generator.

Both are plain module state, changed only by calling the functions below, so a
reader can always find where a setting came from.

    >>> import numpy as np, minigrad as mg
    >>> mg.get_default_dtype()
    dtype('float32')
    >>> mg.set_default_dtype(np.float64)   # e.g. before gradchecking a model
    >>> mg.Tensor([1.0]).dtype
    dtype('float64')
    >>> mg.set_default_dtype(np.float32)
"""
import numbers

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

_default_dtype = np.dtype(np.float32)
_rng = np.random.default_rng()


def get_default_dtype():
    """The dtype given to Tensors made from Python numbers and lists."""
    return _default_dtype


def set_default_dtype(dtype):
    """Set the dtype for Tensors made from Python numbers and lists.

    Only float32 (the default, as in PyTorch) and float64 are accepted; float64
    is what gradient checks need. NumPy arrays passed to ``Tensor`` keep their
    own dtype regardless of this setting.
    """
    global _default_dtype
    try:
        dt = None if dtype is None else np.dtype(dtype)  # np.dtype(None) is f64
    except TypeError:
        dt = None
    if dt is None or dt not in _FLOAT_DTYPES:  # (None == float64 in NumPy)
        raise ValueError(
            f"default dtype must be float32 or float64, got {dtype!r}"
        )
    _default_dtype = dt


def manual_seed(seed):
    """Re-create minigrad's random generator from ``seed`` (a non-negative int).

    Parameter initialisation and DataLoader shuffling draw from ``rng()``, so
    calling ``manual_seed`` first makes a run repeatable.
    """
    global _rng
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    _rng = np.random.default_rng(int(seed))


def rng():
    """minigrad's ``np.random.Generator`` (replaced by each ``manual_seed``).

    Call ``rng()`` each time rather than keeping the returned object, so a
    later ``manual_seed`` takes effect.
    """
    return _rng
