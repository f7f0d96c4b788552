"""The training loop of ``minigrad train --distributed`` and ``minigrad
largebatch``: ``viz.experiments.train`` with each rank on its shard.

With one process (no ``mpiexec``) it is that loop with a loader that leaves
out a short last batch; with N it needs ``init()`` first and the optimizer
wrapped in ``DistributedOptimizer``.
"""
import time

import numpy as np

from . import _comm


def world():
    """``(rank, size)``, or ``(0, 1)`` when MPI was never started."""
    if _comm._world is None:
        return 0, 1
    return _comm.rank(), _comm.size()


def train(model, optimizer, task, epochs, batch_size, seed=0, progress=None,
          name="", lr=float("nan"), scheduler=None):
    """Train on ``task`` with global batches of ``batch_size * size``; return
    a ``viz.experiments.RunResult`` (the same numbers on every rank).

    ``batch_size`` is the per-rank batch. Rank r takes slice r of each global
    batch (``DataLoader(..., rank=r, world_size=size)``); a last global batch
    shorter than the others is left out, so one process with
    ``batch_size * size`` and ``drop_last=True`` sees the same batches.
    ``scheduler`` is stepped after every optimizer step. Loss and accuracy are
    measured on the whole training and held-out sets after every epoch (every
    rank holds all the data, so every rank measures the same).
    """
    from minigrad.data import DataLoader
    from minigrad.nn import functional as F
    from minigrad.viz.experiments import RunResult, evaluate

    rank, size = world()
    loader = DataLoader(task.X_train, task.y_train, batch_size, seed=seed,
                        drop_last=True, rank=rank, world_size=size)
    result = RunResult(optimizer=name, lr=lr)
    step, seconds = 0, 0.0
    for _ in range(epochs):
        start = time.perf_counter()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            step += 1
        seconds += time.perf_counter() - start  # evaluation is not training
        full_loss, _ = evaluate(model, task.X_train, task.y_train)
        _, test_acc = evaluate(model, task.X_test, task.y_test)
        result.curve_steps.append(step)
        result.curve_loss.append(full_loss)
        result.curve_test_acc.append(test_acc)
        if progress is not None:
            progress.update(1)
        if not np.isfinite(full_loss):
            result.diverged = True
            break
    result.wall_time = seconds
    result.final_loss, result.train_acc = evaluate(model, task.X_train,
                                                   task.y_train)
    _, result.test_acc = evaluate(model, task.X_test, task.y_test)
    return result
