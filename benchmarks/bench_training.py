"""Sections 4 and 5: a training step, the engine's per-op cost, and micrograd.

Both libraries train the same architecture on the same data in float32; each
uses its own initialisation (the timing does not depend on the values).
"""
import gc

import numpy as np

from .report import Section, Target
from .timing import interleaved, medians


def _toy_data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2), dtype=np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)  # the XOR quadrants
    return x, y


def _wide_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 784), dtype=np.float32),
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


def torch_trainer(sizes, batches, fused=False):
    import torch

    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
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
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def training_loop(sizes):
    """Section 4."""
    sec = Section(
        "4. Training loop",
        "Seconds per training step (`zero_grad`, forward, cross-entropy, "
        "`backward`, Adam `step`), float32, same data for both libraries. "
        f"Medians of {sizes.reps} interleaved repetitions of "
        f"{sizes.inner_toy} (toy) / {sizes.inner_wide} (wide) steps.",
        ["net", "batch", "minigrad cpu us", "minigrad numpy-backend us",
         "torch us", "torch fused us", "minigrad / torch"],
    )
    if not _have("torch"):
        sec.skipped = "torch not installed"
        return sec
    import torch

    torch.set_num_threads(sizes.threads)
    nets = [
        ("2-16-16-2", [2, 16, 16, 2], 32, _toy_data(32 * 20), sizes.inner_toy,
         1.0),
        ("784-256-256-10", [784, 256, 256, 10], 128,
         _wide_data(128 * sizes.wide_batches), sizes.inner_wide, 1.3),
    ]
    for name, arch, batch, (x, y), inner, limit in nets:
        gc.collect()
        batches = _batches(x, y, batch)
        cases = {
            "mg": minigrad_trainer(arch, batches),
            "mg_numpy": minigrad_trainer(arch, batches, backend="numpy"),
            "torch": torch_trainer(arch, batches),
            "torch_fused": torch_trainer(arch, batches, fused=True),
        }
        med = medians(interleaved(cases, sizes.reps, inner=inner))
        ratio = med["mg"] / med["torch"]
        sec.add_row(name, batch, med["mg"] * 1e6, med["mg_numpy"] * 1e6,
                    med["torch"] * 1e6, med["torch_fused"] * 1e6, ratio)
        sec.targets.append(Target(f"{name} training step: minigrad / torch",
                                  ratio, limit))
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
        f"Medians of {sizes.reps} interleaved repetitions.",
        ["case", "minigrad", "against", "its time", "minigrad / it"],
    )
    gc.collect()
    if _have("torch"):
        cases = {"mg": _chain_minigrad(n_links, width),
                 "torch": _chain_torch(n_links, width)}
        med = medians(interleaved(cases, sizes.reps, inner=sizes.inner_chain))
        per_op = {k: v / n_ops * 1e6 for k, v in med.items()}
        ratio = per_op["mg"] / per_op["torch"]
        sec.add_row("per op, us", per_op["mg"], "torch", per_op["torch"], ratio)
        sec.targets.append(Target("engine per-op time: minigrad / torch",
                                  ratio, 1.5))
    else:
        sec.notes.append("per-op comparison skipped: torch not installed")
    x, y = _moons(sizes.moons)
    if _have("micrograd"):
        cases = {"micrograd": _epoch_micrograd(x, y),
                 "mg": _epoch_minigrad(x, y, len(x)),
                 "mg_b10": _epoch_minigrad(x, y, 10)}
        med = medians(interleaved(cases, sizes.reps_slow))
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
