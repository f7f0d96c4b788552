"""Where a step is computed: the one place that picks a backend.

* ``"numpy"``: the rule's NumPy reference on each tensor -- the readable oracle;
* ``"cpu"`` (default): one ``@njit`` kernel call per bucket (``cpu.py``);
* ``"cuda"``: ``@cuda.jit`` kernels, state kept on the device (``cuda.py``).

Each backend's ``step(plan, bucket, batch)`` reads the ``Plan`` and the
bucket's layout and returns the number of kernel launches; ``sync(buckets)``
brings state it keeps elsewhere back into the buckets, ``forget(buckets)``
drops such copies after the host state was replaced. Numba is imported at
the first cpu/cuda step, never by ``import minigrad``.
"""
import math

import numpy as np

BACKENDS = ("cpu", "cuda", "numpy")


def get(name):
    """A new backend object for ``name`` (``ValueError`` for another)."""
    if name == "cpu":
        return CpuBackend()
    if name == "numpy":
        return NumpyBackend()
    if name == "cuda":
        return CudaBackend()
    raise ValueError(f"Invalid backend: {name!r} (expected one of {BACKENDS})")


class NumpyBackend:
    """The rule's NumPy reference, one tensor at a time."""

    def step(self, plan, bucket, batch):
        for i, (k, t, data, grad) in enumerate(zip(
                batch.active, plan.steps, batch.datas, batch.grads)):
            state = {name: bucket.view(name, k) for name in plan.used}
            reported = plan.reference(data, grad, state, int(t))
            for values, value in zip(plan.diagnostics, reported or ()):
                values[i] = value
        return 0

    def sync(self, buckets):
        pass

    def forget(self, buckets):
        pass


class CpuBackend:
    """One ``@njit`` kernel call per bucket, on the arrays' own memory."""

    # Below this many elements per work item, splitting costs more than it saves.
    min_piece = 1 << 15
    # Below this many elements a step runs on one thread: waking a worker
    # costs more than it saves. (NumPy's OpenBLAS workers also spin for a
    # while after each matmul, so inside a training loop a parallel step
    # gains little: 784-1024-1024-10 Adam step 2.4 ms on 2 threads, 2.4-2.5
    # on 1; numba's own idle workers sleep, see threads.py.)
    min_parallel = 1 << 19

    numba = cpu = None  # the modules, imported at the first step

    def step(self, plan, bucket, batch):
        if self.numba is None:
            self._start()
        numba, cpu = self.numba, self.cpu
        threads = numba.get_num_threads()
        if batch.kernel_cache is None:
            active = list(batch.active)
            total = int(bucket.sizes[active].sum())
            piece = max(math.ceil(total / (4 * threads)), self.min_piece)
            batch.kernel_cache = (
                np.array([a.ctypes.data for a in batch.datas], np.int64),
                np.array([a.ctypes.data for a in batch.grads], np.int64),
                bucket.offsets[active], *bucket.rows(batch.active, piece))
        p_addr, g_addr, offsets, work, rows = batch.kernel_cache
        args = cpu.arguments(plan, work, rows, p_addr, g_addr, offsets)
        kernel = cpu.KERNELS[plan.kernel]
        if (work.size > 2 and bucket.total >= self.min_parallel) or threads == 1:
            kernel(*args)
            return 1
        # A small group: waking the other threads would cost more than the
        # step (~30x on a busy 2-core machine; benchmarks/), see min_parallel.
        numba.set_num_threads(1)
        try:
            kernel(*args)
        finally:
            numba.set_num_threads(threads)
        return 1

    def _start(self):
        import numba

        from . import cpu
        from .threads import start

        start()  # before numba's threads are first used: idle workers sleep
        self.numba, self.cpu = numba, cpu

    def sync(self, buckets):
        pass

    def forget(self, buckets):
        pass


class CudaBackend:
    """Keeps each bucket's state on the device between steps (``cuda.Device``
    per bucket), and copies it back only when someone reads it."""

    def __init__(self):
        try:
            from numba import cuda

            usable = cuda.is_available()
        except ImportError:  # numba-cuda not installed
            usable = False
        if not usable:
            raise RuntimeError(
                'backend="cuda" needs a usable CUDA GPU, and numba finds none '
                "here (numba.cuda.is_available() is False). Use "
                'backend="cpu" (the default), or run the CUDA kernels in '
                "Numba's simulator by setting NUMBA_ENABLE_CUDASIM=1 before "
                "numba is first imported (slow; for testing).")
        self.devices = {}  # id(bucket) -> (bucket, cuda.Device)

    def _device(self, bucket):
        from . import cuda

        entry = self.devices.get(id(bucket))
        if entry is None or entry[0] is not bucket:
            entry = self.devices[id(bucket)] = (bucket, cuda.Device(bucket))
        return entry[1]

    def step(self, plan, bucket, batch):
        from . import cuda

        return cuda.step(plan, bucket, batch, self._device(bucket))

    def sync(self, buckets):
        for bucket in buckets:
            entry = self.devices.get(id(bucket))
            if entry is not None and entry[0] is bucket:
                entry[1].pull()

    def forget(self, buckets):
        for bucket in buckets:
            self.devices.pop(id(bucket), None)
