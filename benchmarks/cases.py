"""What a worker process of ``isolated.compare`` runs: one factory per case.

Each factory takes JSON-able arguments (and ``threads``), builds the case
and returns a zero-argument callable: one call is one step, timed by the
worker. They import only the library they time, so a torch worker never
loads numba's threads and a minigrad worker never loads torch's.
"""
import numpy as np

from .isolated import set_threads


def _numba(threads):
    import numba  # noqa: F401  (loaded here so its thread count can be set)

    from minigrad.optim.kernels import threads as numba_threads

    # set_threads starts numba's threads; start them as minigrad's first
    # step would (idle workers sleep: minigrad/optim/kernels/threads.py)
    numba_threads.start()
    set_threads(threads)


def _torch(threads):
    import torch  # noqa: F401

    set_threads(threads)


def train(lib, arch, batch, fused=False, backend="cpu", n_batches=10,
          threads=None):
    """A training step (zero_grad, forward, cross-entropy, backward, Adam)."""
    from . import bench_training as bt

    inputs = arch[0]
    data = bt._toy_data(batch * n_batches) if inputs == 2 else bt._wide_data(
        batch * n_batches, width=inputs)
    batches = bt._batches(*data, batch)
    if lib == "minigrad":
        _numba(threads)
        return bt.minigrad_trainer(arch, batches, backend=backend)
    _torch(threads)
    return bt.torch_trainer(arch, batches, fused=fused)


def chain(lib, links, width=16, threads=None):
    """Section 5's chain of 3 * links + 1 ops, forward and backward."""
    from . import bench_training as bt

    if lib == "minigrad":
        _numba(threads)
        return bt._chain_minigrad(links, width)
    _torch(threads)
    return bt._chain_torch(links, width)


def optimizer_step(lib, cls, kwargs, shapes, mode="cpu", threads=None):
    """One ``step()`` of an optimizer on fixed gradients."""
    from . import bench_optim as bo

    shapes = [tuple(s) for s in shapes]
    if lib == "minigrad":
        _numba(threads)
        return bo.minigrad_step(cls, kwargs, shapes, mode)
    _torch(threads)
    step = bo.torch_step(cls, kwargs, shapes, mode)
    if step is None:
        raise ValueError(f"torch has no {mode} path for {cls} on the CPU")
    return step


def epoch(lib, n, batch=None, threads=None):
    """One epoch of micrograd's moons demo (MLP 2-16-16-1, hinge, SGD)."""
    from . import bench_training as bt

    x, y = bt._moons(n)
    if lib == "micrograd":
        return bt._epoch_micrograd(x, y)
    _numba(threads)
    return bt._epoch_minigrad(x, y, batch or len(x))


def adam_in_loop(arch, batch, n_batches=10, threads=None):
    """A minigrad training step whose ``extra()`` reports the Adam ``step()``
    inside the loop, the same ``step()`` run alone (several times in a row
    on the gradients just computed), and once more right after 128 MB of
    other memory traffic has evicted the caches; medians in seconds."""
    import minigrad as mg
    from minigrad.nn import functional as F

    from . import bench_training as bt

    _numba(threads)
    x, y = bt._wide_data(batch * n_batches, width=arch[0])
    data = [(mg.Tensor(a), mg.Tensor(b)) for a, b in bt._batches(x, y, batch)]
    model = mg.nn.MLP(arch)
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)

    def forward_backward(i):
        xb, yb = data[i % len(data)]
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()

    return _step_timer(forward_backward, opt.step)


def torch_adam_in_loop(arch, batch, n_batches=10, threads=None):
    """``adam_in_loop`` for torch's default Adam (same net, data and timing
    points): how much of the gap is the caches, whatever the library."""
    import torch

    from . import bench_training as bt

    _torch(threads)
    x, y = bt._wide_data(batch * n_batches, width=arch[0])
    data = [(torch.from_numpy(a), torch.from_numpy(b))
            for a, b in bt._batches(x, y, batch)]
    model = bt.torch_mlp(arch)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def forward_backward(i):
        xb, yb = data[i % len(data)]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()

    return _step_timer(forward_backward, opt.step)


def _step_timer(forward_backward, step, every=8):
    """One training step per call, its optimizer ``step()`` timed ("in the
    loop"). Every ``every``-th call then also times the same ``step()`` three
    times in a row ("alone") and once after 128 MB of other traffic
    ("cold"); the call after that is not counted in the loop, so every
    in-loop time follows plain training steps only."""
    import time

    evict = np.ones(32 * 2**20, np.float32)  # 128 MB, more than the caches
    clock = time.perf_counter
    times = {"in_loop": [], "alone": [], "cold": []}
    state = {"i": 0, "disturbed": False}

    def run():
        i = state["i"]
        state["i"] += 1
        forward_backward(i)
        start = clock()
        step()
        if not state["disturbed"]:
            times["in_loop"].append(clock() - start)
        state["disturbed"] = i % every == every - 1
        if state["disturbed"]:
            for _ in range(3):  # the same step again, nothing in between
                start = clock()
                step()
                times["alone"].append(clock() - start)
            np.add(evict, 1.0, out=evict)
            start = clock()
            step()
            times["cold"].append(clock() - start)

    def extra():
        out = [float(np.median(v)) if v else float("nan")
               for v in times.values()]
        for values in times.values():
            values.clear()
        return out

    run.extra = extra
    return run


def sleep(seconds, threads=None):
    """A case that takes a known time: checks the harness itself (tests)."""
    import time

    def run():
        time.sleep(seconds)

    return run
