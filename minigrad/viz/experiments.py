"""Small, fair training experiments: the engine behind ``minigrad compare``
and ``minigrad train``.

Fair means: every optimizer trains the *same* MLP from the *same* initial
weights on the *same* sequence of mini-batches; only the update rule (and its
learning rate) differs. Loss and accuracy are measured on the whole training
set and on held-out points after every epoch, so the curves are not the noisy
per-batch losses.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from .registry import OPTIMIZERS, TRAINING_LRS, optimizer_class

# dataset name -> (generator name in minigrad.data, keyword arguments)
DATASETS = {
    "spirals": ("make_spirals", {"noise": 0.05}),
    "moons": ("make_moons", {"noise": 0.1}),
    "circles": ("make_circles", {"noise": 0.05}),
    "xor": ("make_xor", {"noise": 0.0}),
    "blobs": ("make_blobs", {"noise": 1.0}),
}

# --schedule choices: how the learning rate changes over the run's steps
SCHEDULES = ("constant", "step", "cosine")


def make_scheduler(optimizer, schedule="constant", warmup=0, total_steps=1):
    """A per-step scheduler for ``optimizer`` from command-line words, or None.

    ``schedule``: "constant" (no change), "step" (``StepLR``: x0.1 after each
    third of the steps after warmup) or "cosine" (``CosineAnnealingLR`` to 0
    at the last step); ``warmup``: steps of ``LinearWarmup`` first (0: none).
    Call ``scheduler.step()`` after every ``optimizer.step()``.
    """
    from minigrad.optim import lr_scheduler as sched

    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose from "
                         f"{', '.join(SCHEDULES)}")
    if warmup < 0 or (warmup and warmup >= total_steps):
        raise ValueError(f"warmup must be between 0 and the number of steps "
                         f"({total_steps}) minus one, got {warmup}")
    rest = max(total_steps - warmup, 1)
    after = None
    if schedule == "step":
        after = sched.StepLR(optimizer, step_size=max(rest // 3, 1), gamma=0.1)
    elif schedule == "cosine":
        after = sched.CosineAnnealingLR(optimizer, T_max=rest)
    if warmup:
        return sched.LinearWarmup(optimizer, warmup, after=after)
    return after


@dataclass
class Task:
    """A classification problem split into training and held-out points."""
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def make_task(dataset="spirals", n_samples=600, seed=0, test_fraction=0.25):
    """Generate ``dataset`` and hold out ``test_fraction`` of it."""
    import minigrad.data as data

    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from "
                         f"{', '.join(DATASETS)}")
    maker, kwargs = DATASETS[dataset]
    X, y = getattr(data, maker)(n_samples, seed=seed, **kwargs)
    n_test = max(1, int(round(test_fraction * len(X))))
    # the generators shuffle their rows, so the tail is a fair sample
    return Task(dataset, X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:],
                int(y.max()) + 1)


@dataclass
class RunResult:
    """What one optimizer achieved; ``curve_*`` are sampled once per epoch."""
    optimizer: str
    lr: float
    curve_steps: list = field(default_factory=list)
    curve_loss: list = field(default_factory=list)       # whole training set
    curve_test_acc: list = field(default_factory=list)   # held-out points
    final_loss: float = float("nan")
    train_acc: float = float("nan")
    test_acc: float = float("nan")
    steps_to_target: int = None       # None: target never reached
    wall_time: float = 0.0            # seconds of training, after JIT warm-up
    diverged: bool = False


def build_model(sizes, seed):
    """An MLP with ReLU hidden layers, initialised from ``seed``."""
    import minigrad as mg
    from minigrad import nn

    mg.manual_seed(seed)
    return nn.MLP(list(sizes))


def evaluate(model, X, y):
    """(mean cross-entropy, accuracy) of ``model`` on all of X, y."""
    import minigrad as mg
    from minigrad.nn import functional as F

    with mg.no_grad():
        logits = model(mg.Tensor(X))
        loss = F.cross_entropy(logits, mg.Tensor(y)).item()
    acc = float(np.mean(np.argmax(logits.data, axis=1) == y))
    return loss, acc


def predict(model, X):
    """Class labels for the points X (an (N, 2) array)."""
    import minigrad as mg

    with mg.no_grad():
        return np.argmax(model(mg.Tensor(X)).data, axis=1)


def _warm_up(name, backend, dtype, lr):
    """Compile the optimizer's kernel on a throwaway parameter, so that the
    measured wall time is training, not Numba's one-off JIT compilation."""
    from minigrad.nn import Parameter

    p = Parameter(np.zeros(4, dtype=dtype))
    opt = optimizer_class(name)([p], lr=lr, backend=backend)
    p.grad = np.ones(4, dtype=dtype)
    opt.step()


def train(model, optimizer, task, epochs, batch_size, seed=0,
          target_loss=None, progress=None, name="", lr=float("nan"),
          scheduler=None, on_step=None):
    """Train ``model`` with ``optimizer`` on ``task``; return a RunResult.

    Mini-batches come from ``DataLoader(..., seed=seed)``, so two calls with
    the same seed see the same batches in the same order. ``progress`` is an
    optional object with ``update(n)`` (a tqdm bar), advanced once per epoch.
    ``scheduler`` (``make_scheduler``) is stepped after every optimizer step;
    ``on_step(step, model, optimizer)`` is called after every step too (to
    record what a figure needs, e.g. each tensor's norm).
    """
    from minigrad.data import DataLoader
    from minigrad.nn import functional as F

    result = RunResult(optimizer=name, lr=lr)
    loader = DataLoader(task.X_train, task.y_train, batch_size=batch_size,
                        shuffle=True, seed=seed)
    step = 0
    start = time.perf_counter()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if scheduler is not None:
                scheduler.step()
            if on_step is not None:
                on_step(step, model, optimizer)
        elapsed = time.perf_counter() - start
        full_loss, _ = evaluate(model, task.X_train, task.y_train)
        _, test_acc = evaluate(model, task.X_test, task.y_test)
        start = time.perf_counter() - elapsed  # evaluation is not training
        result.curve_steps.append(step)
        result.curve_loss.append(full_loss)
        result.curve_test_acc.append(test_acc)
        if (target_loss is not None and result.steps_to_target is None
                and full_loss <= target_loss):
            result.steps_to_target = step
        if progress is not None:
            progress.update(1)
        if not np.isfinite(full_loss):
            result.diverged = True
            break
    result.wall_time = time.perf_counter() - start
    result.final_loss, result.train_acc = evaluate(
        model, task.X_train, task.y_train)
    _, result.test_acc = evaluate(model, task.X_test, task.y_test)
    return result


def compare_optimizers(task, optimizers=tuple(OPTIMIZERS), hidden=(32, 32),
                       epochs=60, batch_size=32, lrs=None, backend="cpu",
                       seed=0, target_loss=0.3, progress=None,
                       schedule="constant", warmup=0):
    """Race the optimizers on ``task``: one RunResult per optimizer, in order.

    lrs: {name: lr}; missing names use ``registry.TRAINING_LRS``.
    schedule, warmup: the learning-rate schedule of every run
    (``make_scheduler``), over the run's epochs x batches steps.
    """
    lrs = {**TRAINING_LRS, **(lrs or {})}
    sizes = [task.X_train.shape[1], *hidden, task.n_classes]
    initial = {k: np.array(v, copy=True)
               for k, v in build_model(sizes, seed).state_dict().items()}
    results = []
    for name in optimizers:
        model = build_model(sizes, seed)
        model.load_state_dict(initial)          # the very same start
        params = list(model.parameters())
        _warm_up(name, backend, params[0].dtype, lrs[name])
        opt = optimizer_class(name)(params, lr=lrs[name], backend=backend)
        total = epochs * steps_per_epoch(len(task.X_train), batch_size)
        scheduler = make_scheduler(opt, schedule, warmup, total)
        if progress is not None and hasattr(progress, "set_description"):
            progress.set_description(f"{name:>8}")
        results.append(train(model, opt, task, epochs, batch_size, seed=seed,
                             target_loss=target_loss, progress=progress,
                             name=name, lr=lrs[name], scheduler=scheduler))
    return results


def steps_per_epoch(n_points, batch_size):
    """Optimizer steps in one pass over ``n_points`` (the last batch may be
    short)."""
    return -(-n_points // batch_size)


def format_table(results, target_loss=None):
    """A plain-text table of RunResults, one row per optimizer."""
    from .registry import display_name

    target = f"steps to loss<={target_loss:g}" if target_loss is not None \
        else "steps to target"
    header = ["optimizer", "lr", "final loss", "train acc", "test acc",
              target, "wall time (s)"]
    rows = []
    for r in results:
        reached = "never" if r.steps_to_target is None else str(
            r.steps_to_target)
        rows.append([display_name(r.optimizer), f"{r.lr:g}",
                     "diverged" if r.diverged else f"{r.final_loss:.4f}",
                     f"{r.train_acc:.3f}", f"{r.test_acc:.3f}", reached,
                     f"{r.wall_time:.2f}"])
    widths = [max(len(h), *(len(row[i]) for row in rows))
              for i, h in enumerate(header)]

    def line(cells):
        first = cells[0].ljust(widths[0])
        return "  ".join([first] + [c.rjust(w) for c, w in
                                    zip(cells[1:], widths[1:])])

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule] + [line(r) for r in rows])
