"""Sections 1-3: one optimizer step on N float32 parameters.

1. each rule's cpu kernel against the floor kernel of its traffic class (and
   the NumPy reference, for scale);
2. the same N parameters as many small tensors against one big tensor;
3. against PyTorch's default (single-tensor) and ``fused=True`` CPU paths.
"""
import gc

import numpy as np

from . import floor
from .report import Section, Target
from .timing import interleaved, medians, spread

# (label, minigrad class, keyword arguments, bytes per element of its floor)
RULES = [
    ("SGD", "SGD", {"lr": 1e-3}, 12),
    ("SGD momentum=0.9", "SGD", {"lr": 1e-3, "momentum": 0.9}, 20),
    ("Momentum", "Momentum", {}, 20),
    ("AdaGrad", "AdaGrad", {}, 20),
    ("RMSProp", "RMSProp", {}, 20),
    ("Adam", "Adam", {}, 28),
    ("AdamW", "AdamW", {}, 28),
    ("LAMB", "LAMB", {}, 40),
]

# torch 2.13 has no fused CPU path for these (it raises on the first step)
NO_FUSED = {"RMSProp"}

# minigrad label -> (torch class, keyword arguments) for section 3
TORCH_PEERS = {
    "Adam": ("Adam", {}),
    "AdamW": ("AdamW", {}),
    "SGD momentum=0.9": ("SGD", {"lr": 1e-3, "momentum": 0.9}),
    "AdaGrad": ("Adagrad", {}),
    "RMSProp": ("RMSprop", {}),
}


def _arrays(shapes, seed):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    return params, grads


def minigrad_step(class_name, kwargs, shapes, backend, seed=0):
    """A zero-argument callable doing one ``opt.step()`` of a fresh optimizer."""
    import minigrad as mg

    params, grads = _arrays(shapes, seed)
    tensors = []
    for data, grad in zip(params, grads):
        t = mg.nn.Parameter(data)
        t.grad = grad
        tensors.append(t)
    opt = getattr(mg.optim, class_name)(tensors, backend=backend, **kwargs)
    opt.step()  # first step: compile or load kernels, allocate state
    return opt.step


def torch_step(class_name, kwargs, shapes, mode, seed=0):
    """Same for ``torch.optim``; mode is "default", "foreach" or "fused".

    Returns None when torch has no such path for this rule on the CPU.
    """
    import torch

    params, grads = _arrays(shapes, seed)
    tensors = []
    for data, grad in zip(params, grads):
        t = torch.nn.Parameter(torch.from_numpy(data))
        t.grad = torch.from_numpy(grad)
        tensors.append(t)
    extra = {} if mode == "default" else {mode: True}
    try:
        opt = getattr(torch.optim, class_name)(tensors, **kwargs, **extra)
        opt.step()
    except (RuntimeError, TypeError, ValueError):
        return None
    return opt.step


def _percent(x):
    return "n/a" if x != x else f"{x:.0%}"


def _bytes_note(n):
    return f"{n:,} float32 parameters"


def step_vs_floor(sizes):
    """Section 1."""
    n = sizes.n_params
    sec = Section(
        "1. Step vs floor (one tensor)",
        f"One `step()` on {_bytes_note(n)} in one tensor, backend `cpu`, against "
        "a floor kernel that moves the same bytes with trivial math on the same "
        "threads (`benchmarks/floor.py`). Medians of "
        f"{sizes.reps} interleaved repetitions; the NumPy reference "
        f"(`backend=\"numpy\"`, {sizes.reps_slow} repetitions) for scale.",
        ["rule", "bytes/elem", "cpu ms", "floor ms", "cpu / floor",
         "GB/s (cpu)", "numpy ms", "numpy / cpu", "spread"],
    )
    for label, cls, kwargs, nbytes in RULES:
        gc.collect()
        cpu = minigrad_step(cls, kwargs, [(n,)], "cpu")
        flo = floor.make_floor(nbytes, n)
        samples = interleaved({"cpu": cpu, "floor": flo}, sizes.reps)
        med = medians(samples)
        ref = minigrad_step(cls, kwargs, [(n,)], "numpy")
        ref_med = medians(interleaved({"cpu": cpu, "ref": ref}, sizes.reps_slow))
        ratio = med["cpu"] / med["floor"]
        gbs = nbytes * n / med["cpu"] / 1e9
        sec.add_row(label, nbytes, med["cpu"] * 1e3, med["floor"] * 1e3, ratio,
                    gbs, ref_med["ref"] * 1e3, ref_med["ref"] / ref_med["cpu"],
                    _percent(spread(samples["cpu"])))
        sec.targets.append(Target(f"{label}: cpu step / floor", ratio, 1.2))
        del cpu, flo, ref
    sec.notes.append(
        "spread: half the interquartile range of the cpu samples over their "
        "median; above ~20 % the machine was busy and ratios are less sure.")
    sec.notes.append(
        "LAMB's floor is two passes (40 bytes/element): its trust ratio needs "
        "the norm of the whole update before any parameter may be written.")
    return sec


def many_tensors(sizes):
    """Section 2."""
    n, k = sizes.n_params, sizes.n_tensors
    each = n // k
    sec = Section(
        "2. Many tensors",
        f"The same {_bytes_note(k * each)} as {k:,} tensors of {each:,} against "
        f"one tensor of {k * each:,}, backend `cpu`; medians of {sizes.reps} "
        "interleaved repetitions. The floor columns run the floor kernel of "
        "the rule's traffic class over the same two layouts (separate arrays "
        "for p and g, flat state): what the layout itself costs.",
        ["rule", "one tensor ms", f"{k} tensors ms", "many / one",
         "floor one ms", "floor many ms", "floor many / one"],
    )
    for label, cls, kwargs, nbytes in RULES:
        gc.collect()
        cases = {"one": minigrad_step(cls, kwargs, [(k * each,)], "cpu"),
                 "many": minigrad_step(cls, kwargs, [(each,)] * k, "cpu", seed=1)}
        if nbytes in floor.STATE and nbytes != 40:
            cases["floor one"] = floor.make_floor(nbytes, k * each)
            cases["floor many"] = floor.make_floor_many(nbytes, k, each)
        med = medians(interleaved(cases, sizes.reps))
        nan = float("nan")
        ratio = med["many"] / med["one"]
        f_one, f_many = med.get("floor one", nan), med.get("floor many", nan)
        sec.add_row(label, med["one"] * 1e3, med["many"] * 1e3, ratio,
                    f_one * 1e3, f_many * 1e3, f_many / f_one)
        sec.targets.append(Target(f"{label}: {k} tensors / one tensor", ratio, 1.25))
        del cases
    return sec


def against_torch(sizes):
    """Section 3."""
    from .isolated import compare

    n, k = sizes.n_params, sizes.n_tensors
    sec = Section(
        "3. Against PyTorch",
        f"One `step()` on {_bytes_note(n)}, minigrad `cpu` against "
        "`torch.optim` on the same threads: its CPU default (the single-tensor "
        "loop), `foreach=True`, and `fused=True` (n/a where torch has no fused "
        "CPU path). Every case alone in its own process "
        f"(`benchmarks/isolated.py`), {sizes.rounds} alternating rounds of "
        f"~{sizes.turn_s:g} s (at least one step); medians of all steps.",
        ["rule", "layout", "minigrad ms", "torch fused ms", "torch default ms",
         "torch foreach ms", "minigrad / fused", "minigrad / default"],
    )
    from .bench_training import _have

    if not _have("torch"):
        sec.skipped = "torch not installed"
        return sec
    layouts = [("1 x %s" % f"{n:,}", [[n]]), (f"{k} x {n // k:,}", [[n // k]] * k)]
    nan = float("nan")
    for label, (tcls, tkw) in TORCH_PEERS.items():
        if sizes.torch_rules and label not in sizes.torch_rules:
            continue
        cls, kwargs = next((c, kw) for lab, c, kw, _ in RULES if lab == label)
        for layout, shapes in layouts:
            if label not in ("Adam", "AdamW") and len(shapes) > 1 \
                    and not sizes.all_layouts:
                continue
            sides = {"mg": ("benchmarks.cases:optimizer_step",
                            dict(lib="minigrad", cls=cls, kwargs=kwargs,
                                 shapes=shapes))}
            for mode in ("fused", "default", "foreach"):
                if mode == "fused" and label in NO_FUSED:
                    continue
                sides[mode] = ("benchmarks.cases:optimizer_step",
                               dict(lib="torch", cls=tcls, kwargs=tkw,
                                    shapes=shapes, mode=mode))
            res = compare(sides, rounds=sizes.rounds, seconds=sizes.turn_s,
                          min_calls=1, threads=sizes.threads)
            ms = {name: r.median * 1e3 for name, r in res.items()}
            fused = ms.get("fused", nan)
            vs_default, vs_fused = ms["mg"] / ms["default"], ms["mg"] / fused
            sec.add_row(label, layout, ms["mg"], fused, ms["default"],
                        ms["foreach"], vs_fused, vs_default)
            if label in ("Adam", "AdamW"):
                sec.targets.append(Target(
                    f"{label} ({layout}): minigrad / torch fused", vs_fused, 0.85))
                sec.targets.append(Target(
                    f"{label} ({layout}): minigrad / torch default",
                    vs_default, 0.2))
    if not sizes.all_layouts:
        sec.notes.append(f"{k} x {n // k:,} only for Adam and AdamW "
                         "(`--all-layouts` for every rule).")
    return sec
