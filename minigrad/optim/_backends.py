"""Where a step is computed: the one place that picks a backend.

* ``"numpy"``: the rule's ``_reference`` on each tensor -- the readable oracle;
* ``"cpu"`` (default): one ``@njit`` kernel call per bucket (``_cpu.py``);
* ``"cuda"``: ``@cuda.jit`` kernels, state kept on the device (``_cuda.py``).

Numba is imported at the first cpu/cuda step, never by ``import minigrad``.
"""
import math

import numpy as np

BACKENDS = ("cpu", "cuda", "numpy")


def get(name):
    if name == "cpu":
        return CpuBackend()
    if name == "numpy":
        return NumpyBackend()
    if name == "cuda":
        return CudaBackend()
    raise ValueError(f"Invalid backend: {name!r} (expected one of {BACKENDS})")


class NumpyBackend:
    def step(self, opt, group, bucket, batch):
        steps = opt._steps(bucket, batch.active)
        for k, t, data, grad in zip(batch.active, steps, batch.datas,
                                    batch.grads):
            state = {name: bucket.view(name, k) for name in opt._buffers(group)}
            opt._reference(data, grad, state, group, int(t))
        return 0

    def sync(self, opt):
        pass


class CpuBackend:
    # Below this many elements per work item, splitting costs more than it saves.
    min_piece = 1 << 15
    # Below this many elements a step runs on one thread. NumPy's BLAS threads
    # spin for a while after each matmul; a parallel kernel right after a
    # forward/backward fights them for the cores: 7 ms instead of 0.4 ms for
    # the Adam step of a 784-256-256-10 MLP on 2 cores (benchmarks/, sec. 4).
    min_parallel = 1 << 19

    def step(self, opt, group, bucket, batch):
        import numba

        from . import _cpu

        active = list(batch.active)
        if batch.kernel_cache is None:
            total = int(bucket.sizes[active].sum())
            pieces = 4 * numba.get_num_threads()
            piece = max(math.ceil(total / pieces), self.min_piece)
            batch.kernel_cache = (
                np.array([a.ctypes.data for a in batch.datas], np.int64),
                np.array([a.ctypes.data for a in batch.grads], np.int64),
                bucket.offsets[active], *bucket.rows(batch.active, piece))
        p_addr, g_addr, offsets, work, rows = batch.kernel_cache
        steps = opt._steps(bucket, active)
        coefs = opt._coefficient_table(group, steps, bucket.dtype)
        empty = np.empty(0, bucket.dtype)
        buffers = [bucket.buffers.get(name, empty) for name in opt.buffer_names]
        kernel = getattr(_cpu, opt.kernel)
        scratch = [bucket.scratch(name) for name in opt.scratch_names]
        args = (work, rows, p_addr, g_addr, offsets, coefs,
                *opt._extras(group, steps), *opt._flags(group), *buffers,
                *scratch)
        threads = numba.get_num_threads()
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

    def sync(self, opt):
        pass


class CudaBackend:
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

    def step(self, opt, group, bucket, batch):
        from . import _cuda

        return _cuda.step(opt, group, bucket, batch)

    def sync(self, opt):
        from . import _cuda

        for buckets in opt._buckets:
            for bucket in buckets:
                _cuda.pull_state(bucket)
