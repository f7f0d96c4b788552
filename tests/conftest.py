"""Test-wide set-up.

Numba's CUDA simulator must be switched on before numba is first imported in
the process, so it is done here, before any test module imports minigrad's
kernels. Tests that need real CUDA compilation (PTX) run in a subprocess with
the variable removed.
"""
import os

os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng():
    """A seeded NumPy generator, so every test is reproducible."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _restore_default_dtype():
    """A test that changes the default dtype must not leak it to others."""
    import minigrad as mg

    try:
        before = mg.get_default_dtype()
    except (AttributeError, ImportError):  # engine not built yet
        yield
        return
    yield
    mg.set_default_dtype(before)
