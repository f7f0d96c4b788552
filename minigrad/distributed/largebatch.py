"""LAMB's large-batch claim at toy scale: held-out accuracy against batch size
for SGD with momentum, Adam, AdamW and LAMB, trained for a fixed number of
epochs (so a batch 4x larger takes 4x fewer steps).

The learning rate of each optimizer is tuned once at the base batch ``B0 =
32`` and scaled to batch ``B`` by a rule (Goyal et al. 2017,
arXiv:1706.02677; Krizhevsky 2014, arXiv:1404.5997):

    linear:  lr(B) = lr(B0) * B / B0
    sqrt:    lr(B) = lr(B0) * sqrt(B / B0)

each with a linear warmup over the first tenth of the steps, then a cosine
decay to 0 (``LinearWarmup(after=CosineAnnealingLR)``). You et al. 2019
(arXiv:1904.00962) report that LAMB keeps its accuracy up to batches of 32k
where Adam and SGD with such scaling fall off; this experiment asks whether
that shows on a 50k-point problem.

Run on one process, or over MPI (``mpiexec -n N minigrad largebatch``): a
global batch B is then N slices of B / N, and the numbers are the same to
rounding.
"""
import math
import time

import numpy as np

from . import training

# name -> (class in minigrad.optim, lr at the base batch, other settings)
OPTIMIZERS = {
    "sgd+momentum": ("SGD", 0.05, {"momentum": 0.9}),
    "adam": ("Adam", 2e-3, {}),
    "adamw": ("AdamW", 2e-3, {"weight_decay": 0.01}),
    "lamb": ("LAMB", 5e-3, {"weight_decay": 0.01}),
}
RULES = ("linear", "sqrt")
BASE_BATCH = 32
WARMUP_FRACTION = 0.1


def make_problem(n_samples=50_000, n_features=20, n_classes=10, seed=0,
                 test_fraction=0.2):
    """A 10-class problem no linear model solves: Gaussian inputs labelled by
    a random two-layer tanh "teacher" network, with 10% of the labels drawn
    at random (so the best possible held-out accuracy is about 0.91).
    Returns a ``viz.experiments.Task``."""
    from ..viz.experiments import Task

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    w1 = rng.normal(size=(n_features, 64)) / math.sqrt(n_features)
    w2 = rng.normal(size=(64, n_classes)) * 2.0 / math.sqrt(64)
    y = np.argmax(np.tanh(X @ w1) @ w2, axis=1)
    noisy = rng.random(n_samples) < 0.1
    y[noisy] = rng.integers(0, n_classes, noisy.sum())
    n_test = int(round(test_fraction * n_samples))
    return Task("teacher", X[:-n_test].astype(np.float32), y[:-n_test],
                X[-n_test:].astype(np.float32), y[-n_test:], n_classes)


def scaled_lr(base_lr, batch, rule):
    """``base_lr`` (tuned at ``BASE_BATCH``) scaled to ``batch`` by ``rule``."""
    ratio = batch / BASE_BATCH
    if rule == "linear":
        return base_lr * ratio
    if rule == "sqrt":
        return base_lr * math.sqrt(ratio)
    raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")


def run_one(task, name, batch, rule, seed, epochs, hidden=(64, 64)):
    """Train one MLP; returns ``(held-out accuracy, lr, steps)``.

    ``batch`` is the global batch; over N ranks each takes ``batch / N``.
    A run whose loss became NaN/Inf counts at the accuracy it ended with.
    """
    from minigrad import optim
    from minigrad.optim import lr_scheduler
    from minigrad.viz.experiments import build_model

    from .optimizer import DistributedOptimizer, broadcast_parameters

    rank, size = training.world()
    if batch % size:
        raise ValueError(f"batch size {batch} does not split over {size} "
                         "processes; use batch sizes divisible by it")
    cls, base_lr, settings = OPTIMIZERS[name]
    lr = scaled_lr(base_lr, batch, rule)
    model = build_model([task.X_train.shape[1], *hidden, task.n_classes], seed)
    opt = getattr(optim, cls)(model.parameters(), lr=lr, **settings)
    if size > 1:
        broadcast_parameters(model)
        opt = DistributedOptimizer(opt)
    steps = epochs * (len(task.X_train) // batch)
    warmup = max(1, round(WARMUP_FRACTION * steps))
    sched = lr_scheduler.LinearWarmup(
        opt, warmup, after=lr_scheduler.CosineAnnealingLR(
            opt, max(1, steps - warmup)))
    with np.errstate(all="ignore"):  # a diverging run is a result here
        result = training.train(model, opt, task, epochs, batch // size,
                                seed=seed, name=name, lr=lr, scheduler=sched)
    return result.test_acc, lr, result.curve_steps[-1]


def batch_sizes(n_train, smallest=BASE_BATCH, factor=4):
    """``smallest, smallest*factor, ...`` below ``n_train``, then ``n_train``
    (the whole training set: one step per epoch)."""
    sizes = [smallest]
    while sizes[-1] * factor < n_train:
        sizes.append(sizes[-1] * factor)
    return sizes + [n_train]


def run(task, optimizers=tuple(OPTIMIZERS), batches=None, rules=RULES,
        seeds=(0, 1, 2), epochs=10, report=None):
    """Every (optimizer, rule, batch, seed); returns a list of dict rows.

    At the base batch both rules give the same lr, so that run is made once
    and counted for both. ``report(row)`` (optional) sees each row as done.
    """
    batches = batches or batch_sizes(len(task.X_train))
    rows, done = [], {}
    for name in optimizers:
        for rule in rules:
            for batch in batches:
                for seed in seeds:
                    lr = scaled_lr(OPTIMIZERS[name][1], batch, rule)
                    key = (name, batch, lr, seed)
                    start = time.perf_counter()
                    if key not in done:
                        done[key] = run_one(task, name, batch, rule, seed,
                                            epochs)
                    acc, lr, steps = done[key]
                    row = {"optimizer": name, "rule": rule, "batch": batch,
                           "seed": seed, "lr": lr, "steps": steps,
                           "test_acc": acc,
                           "seconds": time.perf_counter() - start}
                    rows.append(row)
                    if report is not None:
                        report(row)
    return rows


def summary(rows):
    """``{(optimizer, rule): {batch: (mean, min, max)}}`` over the seeds."""
    table = {}
    for row in rows:
        cell = table.setdefault((row["optimizer"], row["rule"]), {})
        cell.setdefault(row["batch"], []).append(row["test_acc"])
    return {key: {b: (float(np.mean(a)), float(np.min(a)), float(np.max(a)))
                  for b, a in cells.items()} for key, cells in table.items()}


def format_table(rows):
    """A Markdown table: one line per (optimizer, rule), one column per batch
    size; each cell the mean held-out accuracy over the seeds and, in
    brackets, the lowest and highest."""
    table = summary(rows)
    batches = sorted({row["batch"] for row in rows})
    n_seeds = len({row["seed"] for row in rows})
    head = ["optimizer", "lr rule"] + [f"B={b}" for b in batches]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for (name, rule), cells in table.items():
        text = [f"{cells[b][0]:.3f} ({cells[b][1]:.3f}-{cells[b][2]:.3f})"
                if b in cells else "" for b in batches]
        lines.append("| " + " | ".join([name, rule, *text]) + " |")
    lines.append("")
    lines.append(f"held-out accuracy, mean (min-max) over {n_seeds} seeds")
    return "\n".join(lines)


def plot(rows, path):
    """Held-out accuracy against batch size (log scale), one panel per lr
    rule, one line per optimizer with its seeds' range as error bars."""
    from ..viz._deps import require

    figure = require("matplotlib.figure", "plotting")
    agg = require("matplotlib.backends.backend_agg", "plotting")
    table = summary(rows)
    rules = sorted({rule for _, rule in table}, key=list(RULES).index)
    fig = figure.Figure(figsize=(5.2 * len(rules), 4), layout="constrained")
    agg.FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(rules), sharey=True, squeeze=False)[0]
    for ax, rule in zip(axes, rules):
        for (name, r), cells in table.items():
            if r != rule:
                continue
            b = sorted(cells)
            mean = np.array([cells[x][0] for x in b])
            low = mean - np.array([cells[x][1] for x in b])
            high = np.array([cells[x][2] for x in b]) - mean
            ax.errorbar(b, mean, yerr=[low, high], marker="o", capsize=3,
                        label=name)
        ax.set_xscale("log")
        ax.set_xlabel("global batch size")
        ax.set_title(f"{rule} lr scaling, warmup + cosine")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("held-out accuracy")
    axes[0].legend()
    fig.savefig(path, dpi=90)
    return path
