"""Sections 4 and 5: a training step, the engine's per-op cost, and micrograd.

Both libraries train the same architecture on the same data in float32; each
uses its own initialisation (the timing does not depend on the values).
"""
import gc
import sys

import numpy as np

from .isolated import compare
from .report import Section, Target


def _toy_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2), dtype=np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # the XOR quadrants
    return x, y


def _wide_data(n, seed=0, width=784):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, width), dtype=np.float32),
            rng.integers(0, 10, n))


def _batches(x, y, batch):
    return [(x[i:i + batch], y[i:i + batch])
            for i in range(0, len(x) - batch + 1, batch)]


def minigrad_trainer(sizes, batches, backend="cpu"):
    """One call = one training step (zero_grad, forward, loss, backward, step)."""
    import minigrad as mg
    from minigrad.nn import functional as F

    model = mg.nn.MLP(sizes)
    opt = mg.optim.Adam(model.parameters(), lr=1e-3, backend=backend)
    data = [(mg.Tensor(x), mg.Tensor(y)) for x, y in batches]
    state = {"i": 0}

    def step():
        x, y = data[state["i"] % len(data)]
        state["i"] += 1
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def torch_mlp(sizes):
    """torch's counterpart of ``mg.nn.MLP(sizes)``: Linear layers with ReLU
    between them."""
    import torch

    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


def torch_trainer(sizes, batches, fused=False):
    import torch

    model = torch_mlp(sizes)
    extra = {"fused": True} if fused else {}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, **extra)
    data = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]
    state = {"i": 0}

    def step():
        x, y = data[state["i"] % len(data)]
        state["i"] += 1
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return step


def _have(module):
    """Installed? Looked up without importing it: the parent process of the
    benchmarks never loads torch (its threads would disturb minigrad's)."""
    import importlib.util

    if module in sys.modules:
        return sys.modules[module] is not None  # None: hidden (tests)
    return importlib.util.find_spec(module) is not None


NETS = [  # name, layer sizes, batch, target (minigrad / torch default)
    ("2-16-16-2", [2, 16, 16, 2], 32, 0.5),
    ("784-256-256-10", [784, 256, 256, 10], 128, 0.9),
    ("784-1024-1024-10", [784, 1024, 1024, 10], 256, 0.95),
]


def _alone_note(sizes):
    return (f"Each side alone in its own process (`benchmarks/isolated.py`), "
            f"{sizes.rounds} alternating rounds of ~{sizes.turn_s:g} s each; "
            "medians of all steps; spread: half the range of the per-round "
            "medians over the median.")


def training_loop(sizes):
    """Section 4."""
    sec = Section(
        "4. Training loop",
        "Time per training step (`zero_grad`, forward, cross-entropy, "
        "`backward`, Adam `step`), float32, same data for both libraries, "
        "torch's default Adam and `fused=True`. " + _alone_note(sizes),
        ["net", "batch", "minigrad us", "torch us", "torch fused us",
         "minigrad / torch", "minigrad / fused", "spread (mg, torch)"],
    )
    if not _have("torch"):
        sec.skipped = "torch not installed"
        return sec
    for name, arch, batch, limit in NETS[:sizes.nets]:
        kw = dict(arch=arch, batch=batch, n_batches=sizes.wide_batches)
        res = compare({
            "mg": ("benchmarks.cases:train", dict(lib="minigrad", **kw)),
            "torch": ("benchmarks.cases:train", dict(lib="torch", **kw)),
            "fused": ("benchmarks.cases:train",
                      dict(lib="torch", fused=True, **kw)),
        }, rounds=sizes.rounds, seconds=sizes.turn_s, threads=sizes.threads)
        med = {k: r.median for k, r in res.items()}
        ratio, vs_fused = med["mg"] / med["torch"], med["mg"] / med["fused"]
        sec.add_row(name, batch, med["mg"] * 1e6, med["torch"] * 1e6,
                    med["fused"] * 1e6, ratio, vs_fused,
                    f"{_pct(res['mg'].spread)}, {_pct(res['torch'].spread)}")
        sec.targets.append(Target(f"{name} training step: minigrad / torch",
                                  ratio, limit))
    return sec


def _pct(x):
    return "n/a" if x != x else f"{x:.0%}"


def in_loop_and_contention(sizes):
    """Section 7: the Adam step inside the loop against alone; contention."""
    sec = Section(
        "7. Adam step in the loop; contention",
        "The Adam `step()` of the 784-256-256-10 MLP (269,322 parameters, "
        "batch 128) timed inside the training loop (right after `backward`, "
        "after plain training steps only) and, every 8th step, the same "
        "`step()` repeated alone, in one process per library (torch: its "
        "default Adam). Then "
        "each library's 784-256-256-10 training step alone and while one "
        "CPU-bound process (a Python busy loop) runs, every case in its own "
        "process, the busy loop stopped between turns. " + _alone_note(sizes),
        ["case", "minigrad", "torch", "note"],
    )
    arch, batch = [784, 256, 256, 10], 128
    sides = {"mg": ("benchmarks.cases:adam_in_loop", dict(arch=arch, batch=batch))}
    if _have("torch"):  # the same three timings of torch's default Adam
        sides["torch"] = ("benchmarks.cases:torch_adam_in_loop",
                          dict(arch=arch, batch=batch))
    res = compare(sides, rounds=sizes.rounds, seconds=sizes.turn_s,
                  threads=sizes.threads)
    times = {lib: [float(np.nanmedian([e[i] for e in r.extra])) for i in range(3)]
             for lib, r in res.items()}
    in_loop, alone, cold = times["mg"]
    torch_t = times.get("torch", ["", "", ""])

    def both(label, pick, note=""):
        mg_value = pick(*times["mg"])
        torch_value = pick(*torch_t) if "torch" in times else ""
        sec.add_row(label, mg_value, torch_value, note)

    both("Adam step in the loop, us", lambda i, a, c: i * 1e6)
    both("the same step alone, us", lambda i, a, c: a * 1e6,
         "state warm in the caches from the step before")
    both("alone after evicting the caches, us", lambda i, a, c: c * 1e6,
         "128 MB of other traffic first")
    both("in the loop / alone", lambda i, a, c: i / a)
    both("in the loop / alone, caches evicted", lambda i, a, c: i / c)
    sec.targets.append(Target("Adam step (270k) in the loop / alone",
                              in_loop / alone, 1.2))
    if not _have("torch"):
        sec.notes.append("contention skipped: torch not installed")
        return sec
    kw = dict(arch=arch, batch=batch, n_batches=sizes.wide_batches)
    sides = {}
    for lib, short in (("minigrad", "mg"), ("torch", "torch")):
        for load in ("alone", "busy"):
            sides[f"{short} {load}"] = ("benchmarks.cases:train",
                                        dict(lib=lib, **kw))
    res = compare(sides, rounds=sizes.rounds, seconds=sizes.turn_s,
                  threads=sizes.threads, busy=("mg busy", "torch busy"))
    med = {k: r.median for k, r in res.items()}
    grow = {lib: med[f"{lib} busy"] / med[f"{lib} alone"]
            for lib in ("mg", "torch")}
    sec.add_row("training step alone, us", med["mg alone"] * 1e6,
                med["torch alone"] * 1e6, "")
    sec.add_row("with one busy process, us", med["mg busy"] * 1e6,
                med["torch busy"] * 1e6, "")
    sec.add_row("growth (busy / alone)", grow["mg"], grow["torch"], "")
    sec.targets.append(Target("contention: minigrad growth / torch growth",
                              grow["mg"] / grow["torch"], 1.0))
    return sec


def _chain_minigrad(n_links, width):
    import minigrad as mg

    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal(width, dtype=np.float32),
                  requires_grad=True)
    a = mg.Tensor(np.full(width, 0.9, np.float32))
    b = mg.Tensor(np.full(width, 0.1, np.float32))

    def run():
        y = x
        for _ in range(n_links):
            y = (y * a + b).tanh()
        y.sum().backward()
        x.grad = None

    return run


def _chain_torch(n_links, width):
    import torch

    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(width, dtype=np.float32),
                     requires_grad=True)
    a = torch.full((width,), 0.9)
    b = torch.full((width,), 0.1)

    def run():
        y = x
        for _ in range(n_links):
            y = (y * a + b).tanh()
        y.sum().backward()
        x.grad = None

    return run


def _moons(n, seed=0):
    """Two interleaving half circles, labels -1/+1 (micrograd's demo task)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = np.arange(n) % 2 == 0
    x = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    x += rng.normal(0, 0.1, x.shape)
    return x.astype(np.float32), np.where(upper, 1.0, -1.0).astype(np.float32)


def _epoch_micrograd(x, y):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(2, [16, 16, 1])
    rows = [list(map(float, r)) for r in x]
    labels = [float(v) for v in y]

    def epoch():  # one full-batch step, as in micrograd's moons demo
        scores = [model(list(map(Value, r))) for r in rows]
        losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
        loss = sum(losses) * (1.0 / len(losses))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad

    return epoch


def _epoch_minigrad(x, y, batch):
    import minigrad as mg

    model = mg.nn.MLP([2, 16, 16, 1])
    opt = mg.optim.SGD(model.parameters(), lr=0.05, backend="cpu")
    data = [(mg.Tensor(x[i:i + batch]), mg.Tensor(y[i:i + batch, None]))
            for i in range(0, len(x), batch)]

    def epoch():
        for xb, yb in data:
            loss = (1.0 - yb * model(xb)).relu().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def engine_overhead(sizes):
    """Section 5."""
    n_links, width = sizes.chain_links, 16
    n_ops = 3 * n_links + 1
    sec = Section(
        "5. Engine overhead",
        f"A chain of {n_links} x (`y * a + b` then `tanh`) on {width} float32 "
        f"elements, then `sum().backward()`: {n_ops} ops; time per op (forward "
        f"+ backward). Then one epoch of an MLP 2-16-16-1 on "
        f"{sizes.moons} moons points, hinge loss, SGD (micrograd's demo). "
        + _alone_note(sizes),
        ["case", "minigrad", "against", "its time", "minigrad / it"],
    )
    gc.collect()
    if _have("torch"):
        kw = dict(links=n_links, width=width)
        res = compare({
            "mg": ("benchmarks.cases:chain", dict(lib="minigrad", **kw)),
            "torch": ("benchmarks.cases:chain", dict(lib="torch", **kw)),
        }, rounds=sizes.rounds, seconds=sizes.turn_s, threads=sizes.threads)
        per_op = {k: r.median / n_ops * 1e6 for k, r in res.items()}
        ratio = per_op["mg"] / per_op["torch"]
        sec.add_row("per op, us", per_op["mg"], "torch", per_op["torch"], ratio)
        sec.targets.append(Target("engine per-op time: minigrad / torch",
                                  ratio, 0.7))
    else:
        sec.notes.append("per-op comparison skipped: torch not installed")
    if _have("micrograd"):
        res = compare({
            "micrograd": ("benchmarks.cases:epoch",
                          dict(lib="micrograd", n=sizes.moons)),
            "mg": ("benchmarks.cases:epoch", dict(lib="minigrad", n=sizes.moons)),
            "mg_b10": ("benchmarks.cases:epoch",
                       dict(lib="minigrad", n=sizes.moons, batch=10)),
        }, rounds=sizes.rounds_slow, seconds=sizes.turn_s, max_calls=50,
            threads=sizes.threads)
        med = {k: r.median for k, r in res.items()}
        speedup = med["micrograd"] / med["mg"]
        sec.add_row("epoch, full batch, ms", med["mg"] * 1e3, "micrograd",
                    med["micrograd"] * 1e3, 1 / speedup)
        sec.add_row("epoch, batches of 10, ms", med["mg_b10"] * 1e3,
                    "micrograd", med["micrograd"] * 1e3,
                    med["mg_b10"] / med["micrograd"])
        sec.targets.append(Target("micrograd epoch / minigrad epoch (speed-up)",
                                  speedup, 100, at_least=True))
    else:
        sec.notes.append("micrograd comparison skipped: micrograd not installed")
    return sec
