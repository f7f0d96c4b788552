"""Numba's worker threads, started so that they sleep when idle.

Numba's default threading layer on Linux is OpenMP (GNU libgomp). After a
parallel region its worker threads busy-wait for the next one, about
300,000 spins (``GOMP_SPINCOUNT``); on this project's 2-core Xeon that is
tens of milliseconds of a full core. A training step's next matmul then
shares its cores with a spinning thread that has nothing to do: the forward
pass of a 784-1024-1024-10 MLP (batch 256, 2 threads) took 8.4-8.8 ms after
a parallel optimizer step instead of 4.9-5.2 ms (docs/performance.md).

``start()`` starts numba's threads with ``OMP_WAIT_POLICY=PASSIVE`` in the
environment -- idle OpenMP workers then sleep instead of spinning -- and
restores the environment at once: libgomp reads it only when it is loaded,
so the setting stays with numba's OpenMP runtime and never reaches another
library (PyTorch loads its own copy of libgomp, which reads the environment
the user gave). Nothing is changed when

* numba's threads were already started (by the user's code, or by calling
  ``numba.set_num_threads``/``get_num_threads`` before the first step), or
* the user set any of ``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT`` or
  ``KMP_BLOCKTIME`` (their choice wins).
"""
import os

_USER_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
_started = False


def start():
    """Start numba's thread pool (once) with sleeping idle workers."""
    global _started
    if _started:
        return
    _started = True
    try:  # numba's own (private) names: if they change, numba starts as usual
        from numba.np.ufunc import parallel

        initialized, launch = parallel._is_initialized, parallel._launch_threads
    except (ImportError, AttributeError):
        return
    if not initialized and not any(name in os.environ for name in _USER_SETTINGS):
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            launch()
        finally:
            del os.environ["OMP_WAIT_POLICY"]
