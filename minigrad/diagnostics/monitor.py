"""``Monitor``: what every step does to every parameter tensor ("layer").

CS231n's "babysitting the learning process" in numbers. For each parameter
tensor ``p`` and each recorded step, with ``p0`` the tensor before the step
and ``p1`` after it::

    grad_norm    ||g||            g = p.grad, the gradient the step used
    weight_norm  ||p0||           the weights the update is compared with
    update_norm  ||p1 - p0||      the step actually taken (decay included)
    ratio        ||p1 - p0|| / ||p0||   (NaN while ||p0|| = 0)

A healthy ratio is near 1e-3: much larger and the lr is too high (the
weights are rewritten every few steps), much smaller and it is too low.
For LAMB the trust ratio each step used, ``opt.state[p]["trust_ratio"]``,
is kept too; for ReLU networks, the fraction of *dead* units of every
``nn.ReLU`` module: units whose output was 0 for every example of the
step's batch (a unit dead on one batch may live on another; a unit dead on
every batch for hundreds of steps is gone for good, as its gradient is 0).

All norms are Euclidean, summed in float64, per tensor, independent of the
optimizer's backend (they are read from ``p.data`` and ``p.grad`` on the
host). Cost: ``record()`` copies every parameter once (to know ``p0`` at the
next step) and reads each tensor three times; with recording off
(``stop()``, or no ``Monitor`` at all) nothing of the model or the
optimizer is touched, and a step costs exactly what it cost before.

Usage::

    mon = Monitor(model, opt)          # starts recording
    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
        mon.record()                    # after the step
    print(mon.summary())
    mon.plot("monitor.png")
    mon.stop()                          # the model is as it was

Not in PyTorch (torch has forward hooks and leaves the arithmetic to you);
torch-optimizer's LAMB keeps the weight norm, the update norm and the ratio
in its state for the same purpose.
"""
import math

import numpy as np

__all__ = ["Monitor"]

SERIES = ("grad_norm", "weight_norm", "update_norm", "ratio", "trust_ratio")


def l2(x):
    """Euclidean norm of an array, summed in float64."""
    return math.sqrt(np.sum(np.square(x, dtype=np.float64)))


class _DeadUnitProbe:
    """Stands in for one ReLU module's ``forward`` while a Monitor records.

    It is set as the module's instance attribute ``forward`` (which
    ``Module.__call__`` finds before the class's method) and deleted by
    ``Monitor.stop()``, so a module that is not being watched runs exactly
    the code it always ran: ``Module`` needs no hook machinery.
    """

    def __init__(self, module):
        self.module = module
        self.dead = float("nan")  # of the last forward that built a graph

    def __call__(self, x):
        from ..autograd import is_grad_enabled

        out = type(self.module).forward(self.module, x)
        if is_grad_enabled():  # training forwards, not evaluations
            units = out.data.reshape(-1, out.data.shape[-1])
            self.dead = float(np.mean(np.all(units <= 0, axis=0)))
        return out


class Monitor:
    """Per-tensor training diagnostics, recorded after each optimizer step.

    ``Monitor(model, optimizer)`` watches the parameters ``optimizer``
    updates (named as in ``model.named_parameters()``) and the ``nn.ReLU``
    modules of ``model``, and starts recording. Call ``record()`` after
    every ``optimizer.step()``; read the results with ``series(name)``
    (a ``(records, tensors)`` array; ``name`` one of ``SERIES``),
    ``dead_units()``, ``summary()`` and ``plot(path)``.

    ``stop()`` removes the ReLU probes and makes ``record()`` a no-op;
    ``start()`` resumes (the next record's update is then measured from the
    weights at ``start()``). ``with Monitor(...) as mon:`` stops at the end.
    Recording reads the model and the optimizer and writes neither: a run
    gives the same numbers, bit for bit, with or without a monitor.
    """

    def __init__(self, model, optimizer, dead_units=True):
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"Monitor needs a Module as model, got "
                            f"{type(model).__name__}")
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"Monitor needs an optimizer, got "
                            f"{type(optimizer).__name__}")
        self.model, self.optimizer = model, optimizer
        names = {id(p): n for n, p in model.named_parameters()}
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        self.names = [names.get(id(p), f"param{i}")
                      for i, p in enumerate(self.params)]
        self.has_trust_ratio = "trust_ratio" in getattr(optimizer,
                                                        "diagnostics", ())
        from ..nn import ReLU

        self.relu_names = []
        self._relus = []
        if dead_units:
            for name, module in model.named_modules():
                if isinstance(module, ReLU):
                    self.relu_names.append(name or "(model)")
                    self._relus.append(module)
        self.steps = []  # 1, 2, ...: the number of each record
        self._series = {name: [] for name in SERIES}
        self._dead = []
        self._probes = []
        self._before = None
        self.recording = False
        self.start()

    # ------------------------------------------------------------ on/off
    def start(self):
        """Record from now on (copies the weights, installs the probes)."""
        if self.recording:
            return self
        self._before = [p.data.copy() for p in self.params]
        self._probes = [_DeadUnitProbe(m) for m in self._relus]
        for module, probe in zip(self._relus, self._probes):
            module.forward = probe
        self.recording = True
        return self

    def stop(self):
        """Stop recording: the model's modules are left exactly as before."""
        for module in self._relus:
            module.__dict__.pop("forward", None)
        self._probes, self._before, self.recording = [], None, False
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ record
    def record(self):
        """Measure the step just taken (call it after ``optimizer.step()``).
        A no-op while stopped."""
        if not self.recording:
            return
        grads, weights, updates, ratios, trusts = [], [], [], [], []
        state = self.optimizer.state if self.has_trust_ratio else None
        for p, before in zip(self.params, self._before):
            weight = l2(before)
            update = l2(np.subtract(p.data, before, dtype=np.float64))
            grads.append(l2(p.grad) if p.grad is not None else math.nan)
            weights.append(weight)
            updates.append(update)
            ratios.append(update / weight if weight > 0 else math.nan)
            if state is not None:
                try:
                    entry = state[p]
                except KeyError:  # not stepped yet (no gradient so far)
                    entry = {}
                trusts.append(entry.get("trust_ratio", math.nan))
            np.copyto(before, p.data)
        self._series["grad_norm"].append(grads)
        self._series["weight_norm"].append(weights)
        self._series["update_norm"].append(updates)
        self._series["ratio"].append(ratios)
        self._series["trust_ratio"].append(trusts or [math.nan] * len(grads))
        self._dead.append([probe.dead for probe in self._probes])
        self.steps.append(len(self.steps) + 1)

    # ------------------------------------------------------------- read
    def series(self, name):
        """``(records, tensors)`` float64 array of one of ``SERIES``; column
        ``i`` belongs to ``names[i]`` (``trust_ratio``: NaN unless LAMB)."""
        if name not in SERIES:
            raise KeyError(f"unknown series {name!r}; choose from "
                           f"{', '.join(SERIES)}")
        return np.array(self._series[name], dtype=np.float64).reshape(
            len(self.steps), len(self.params))

    def dead_units(self):
        """``(records, relu modules)`` array: the fraction of dead units of
        each ``nn.ReLU`` module (``relu_names``) at each record."""
        return np.array(self._dead, dtype=np.float64).reshape(
            len(self.steps), len(self._relus))

    def summary(self, last=1):
        """A text table, one row per tensor: the median over the ``last``
        records of each series, and the dead fraction of each ReLU layer."""
        if not self.steps:
            return "no steps recorded yet"
        if not isinstance(last, int) or last < 1:
            raise ValueError(f"last must be a positive int, got {last!r}")
        window = slice(max(len(self.steps) - last, 0), None)
        cols = ["grad_norm", "weight_norm", "update_norm", "ratio"]
        heads = ["|grad|", "|w|", "|update|", "|update|/|w|"]
        if self.has_trust_ratio:
            cols.append("trust_ratio")
            heads.append("trust ratio")
        values = {c: _median(self.series(c)[window]) for c in cols}
        rows = [[name, "x".join(map(str, p.shape)) or "scalar"]
                + [f"{values[c][i]:.3g}" for c in cols]
                for i, (name, p) in enumerate(zip(self.names, self.params))]
        span = len(self.steps) - window.indices(len(self.steps))[0]
        title = (f"steps {len(self.steps) - span + 1}..{len(self.steps)} "
                 f"(median of {span})" if span > 1 else
                 f"step {len(self.steps)}")
        out = [title] + _table(["tensor", "shape"] + heads, rows)
        if self._relus:
            dead = _median(self.dead_units()[window])
            out.append("dead ReLU units: " + ", ".join(
                f"{n} {d:.0%}" for n, d in zip(self.relu_names, dead)))
        return "\n".join(out)

    def plot(self, path=None, title=None):
        """Ratios, gradient norms, trust ratios and dead units over the steps
        (log scales); returns the matplotlib Figure, saved to ``path``."""
        from .plots import plot_monitor

        return plot_monitor(self, path, title)


def _median(block):
    """Column medians that ignore NaN (NaN where a column is all NaN)."""
    out = np.full(block.shape[1], np.nan)
    for j in range(block.shape[1]):
        column = block[:, j][~np.isnan(block[:, j])]
        if column.size:
            out[j] = np.median(column)
    return out


def _table(header, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows))
              for i, h in enumerate(header)]

    def line(cells):
        return "  ".join([cells[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells[1:], widths[1:])])

    return [line(header), "  ".join("-" * w for w in widths)] + [
        line(r) for r in rows]
