"""Programs that tests/test_distributed.py runs under ``mpiexec -n N``.

``python tests/mpi_programs.py NAME [args]``; every rank runs the same
program, and rank 0 prints one line ``RESULT {json}`` for the test to read.
Not collected by pytest (the name does not start with ``test_``).
"""
import json
import sys
import time

import numpy as np

import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn
from minigrad.data import DataLoader
from minigrad.nn import functional as F
from minigrad.optim import lr_scheduler
from minigrad.viz.registry import OPTIMIZERS, TRAINING_LRS, optimizer_class

SIZES = [5, 16, 16, 3]


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, SIZES[0]))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64) + (X[:, 3] > 1)
    return X, y


def model(seed=0, sizes=SIZES):
    mg.manual_seed(seed)
    return nn.MLP(sizes, dtype=np.float64)  # differences: rounding, not noise


def train(net, opt, loader, steps, sched=None, after_step=None):
    done = 0
    while done < steps:
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(net(xb), yb).backward()
            opt.step()
            if sched is not None:
                sched.step()
            done += 1
            if after_step is not None:
                after_step(done)
            if done == steps:
                break
    return np.concatenate([p.data.ravel() for p in net.parameters()])


def result(payload):
    if dist.is_root():
        print("RESULT " + json.dumps(payload), flush=True)


def spread(params):
    """How far this rank's parameters are from the other ranks' (max |diff|)."""
    return float(np.max(dist.allreduce(params, "max") -
                        dist.allreduce(params, "min")))


def equivalence(backend="cpu", b=8, steps=30):
    """Every rule: N ranks with batch b vs one process with batch b * N."""
    n = dist.size()
    X, y = data()
    out = {}
    for name in OPTIMIZERS:
        cls, lr = optimizer_class(name), TRAINING_LRS[name]
        ref = model(seed=100)  # what rank 0 starts from, below
        ref_opt = cls(ref.parameters(), lr=lr, backend=backend)
        ref_sched = lr_scheduler.LinearWarmup(ref_opt, 5)
        single = train(ref, ref_opt, DataLoader(X, y, b * n, seed=3,
                                                drop_last=True), steps,
                       ref_sched)
        net = model(seed=100 + dist.rank())  # different starts on purpose
        dist.broadcast_parameters(net, root=0)
        opt = dist.DistributedOptimizer(cls(net.parameters(), lr=lr,
                                            backend=backend))
        sched = lr_scheduler.LinearWarmup(opt, 5)  # schedules the wrapper
        loader = DataLoader(X, y, b, seed=3, rank=dist.rank(), world_size=n)
        mine = train(net, opt, loader, steps, sched)
        out[name] = {"vs_single": float(dist.allreduce(
            np.abs(mine - single).max(), "max")),
            "across_ranks": spread(mine),
            "allreduce_calls": opt.allreduce_calls}
    result(out)


def failure(step_to_fail=3):
    """Rank 1 raises at one step; the others are inside Allreduce then."""
    X, y = data()
    net = model()
    opt = dist.DistributedOptimizer(optimizer_class("sgd")(net.parameters(),
                                                           lr=0.1))
    loader = DataLoader(X, y, 8, seed=0, rank=dist.rank(),
                        world_size=dist.size())
    for step, (xb, yb) in enumerate(loader):
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        if dist.rank() == 1 and step == step_to_fail:
            print(f"RAISED_AT {time.time()}", flush=True)
            raise RuntimeError("boom on rank 1")
        opt.step()
    time.sleep(60)  # never reached on rank 1; the others must not get here


def abort():
    """Rank 1 calls dist.abort while rank 0 waits in a barrier."""
    if dist.rank() == 1:
        dist.abort("stop here")
    dist.barrier()
    time.sleep(60)  # not reached: the abort ends rank 0 too


def shapes():
    """Rank 1 builds a wider model: every rank gets the same ValueError."""
    sizes = [5, 16 + (dist.rank() == 1), 3]
    net = model(sizes=sizes)
    messages = []
    for call in (lambda: dist.broadcast_parameters(net),
                 lambda: dist.DistributedOptimizer(
                     optimizer_class("adam")(net.parameters()))):
        try:
            call()
            messages.append(None)
        except ValueError as exc:
            messages.append(str(exc))
    every = dist._comm.world().gather(messages, root=0)
    result({"messages": every})


def buckets(steps=3):
    """Mixed float32/float64 parameters: one Allreduce per dtype per step,
    and the result is the mean; a None gradient counts as zero."""
    r, n = dist.rank(), dist.size()
    a = nn.Parameter(np.zeros(3, np.float32))
    b = nn.Parameter(np.zeros((2, 2), np.float64))
    c = nn.Parameter(np.zeros(2, np.float64))  # has a gradient on rank 0 only
    d = nn.Parameter(np.zeros(2, np.float64))  # never has a gradient
    opt = dist.DistributedOptimizer(optimizer_class("sgd")([a, b, c, d], lr=1.0))
    for _ in range(steps):
        a.grad = np.full(3, r + 1, np.float32)
        b.grad = np.full((2, 2), 10.0 * (r + 1))
        c.grad = np.ones(2) if r == 0 else None
        d.grad = None
        opt.step()
    mean = (n + 1) / 2
    result({"a": a.data.tolist(), "b": b.data.tolist(), "c": c.data.tolist(),
            "d_grad_is_none": d.grad is None, "calls": opt.allreduce_calls,
            "expected_a": -steps * mean, "expected_b": -steps * 10 * mean,
            "expected_c": -steps / n})


def nonfinite(mode):
    """A NaN gradient on rank 1 only: all ranks skip (or raise) together."""
    X, y = data()
    net = model()
    opt = dist.DistributedOptimizer(optimizer_class("adam")(
        net.parameters(), lr=0.01, on_nonfinite=mode))
    loader = DataLoader(X, y, 8, seed=0, rank=dist.rank(),
                        world_size=dist.size())
    raised = False
    for step, (xb, yb) in enumerate(loader):
        opt.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        if step == 2 and dist.rank() == 1:
            next(iter(net.parameters())).grad[0, 0] = np.nan
        try:
            opt.step()
        except FloatingPointError:
            raised = True
        if step == 4:
            break
    params = np.concatenate([p.data.ravel() for p in net.parameters()])
    everyone = dist._comm.world().gather(
        {"raised": raised, "skipped": opt.skipped_steps}, root=0)
    result({"ranks": everyone, "across_ranks": spread(params)})


def resume(path, steps=10):
    """Rank 0 writes a snapshot after ``steps``; every rank restores it and
    trains on; the result equals an uninterrupted run."""
    X, y = data()
    n, r = dist.size(), dist.rank()

    def fresh():
        net = model(seed=5)
        dist.broadcast_parameters(net)
        opt = dist.DistributedOptimizer(optimizer_class("lamb")(
            net.parameters(), lr=0.01))
        sched = lr_scheduler.LinearWarmup(opt, 4)
        loader = DataLoader(X, y, 8, seed=7, rank=r, world_size=n)
        return net, opt, sched, loader

    net, opt, sched, loader = fresh()
    straight = train(net, opt, loader, 2 * steps, sched)
    net, opt, sched, loader = fresh()

    def save(done):  # mid-epoch, inside the loop, as a training script would
        if done == steps and dist.is_root():
            mg.save(mg.snapshot(model=net, optimizer=opt, scheduler=sched,
                                loader=loader), path)

    train(net, opt, loader, steps, sched, after_step=save)
    dist.barrier()  # the file is complete before anyone reads it
    net, opt, sched, loader = fresh()
    mg.restore(mg.load(path), model=net, optimizer=opt, scheduler=sched,
               loader=loader)
    resumed = train(net, opt, loader, steps, sched)
    result({"vs_straight": float(dist.allreduce(
        np.abs(resumed - straight).max(), "max")),
        "across_ranks": spread(resumed)})


if __name__ == "__main__":
    dist.init()
    name, *args = sys.argv[1:]
    {"equivalence": equivalence, "failure": failure, "abort": abort,
     "shapes": shapes,
     "buckets": buckets, "nonfinite": nonfinite, "resume": resume}[name](*args)
