"""What ``diagnostics.Monitor`` costs a training step.

Copies of one model and optimizer (same weights, same batches) train
side by side, interleaved (``timing.interleaved``), one step each per
repetition:

* ``plain``: the step as it is without any monitor (twice: ``plain again``
  is a second, identical copy, so the two show the timing noise);
* ``off``: a Monitor was attached and ``stop()``-ed, and the loop still calls
  ``record()`` (a no-op): the "recording off" case;
* ``on``: ``record()`` after every step (norms, the weight copy, LAMB's
  trust ratios, dead-unit probes on the forward).

Run from the repository root::

    python -m benchmarks.bench_monitor            # ~2 minutes
    python -m benchmarks.bench_monitor --reps 41  # quicker, noisier
"""
import argparse
import statistics
import sys

import numpy as np

from .timing import interleaved, medians

CASES = {"MLP 2-32-32-3, batch 32": ((2, 32, 32, 3), 32),
         "MLP 16-64-64-10, batch 64": ((16, 64, 64, 10), 64)}
MODES = ("plain", "plain again", "off", "on")


def _setup(sizes, batch, name, seed=0):
    import minigrad as mg
    from minigrad import nn
    from minigrad.diagnostics import Monitor
    from minigrad.nn import functional as F
    from minigrad.viz.registry import optimizer_class

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((batch * 8, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], len(X))
    batches = [(mg.Tensor(X[i:i + batch]), mg.Tensor(y[i:i + batch]))
               for i in range(0, len(X), batch)]
    steps = {}
    for mode in MODES:
        mg.manual_seed(seed)
        model = nn.MLP(list(sizes))
        opt = optimizer_class(name)(model.parameters(), lr=1e-3)
        monitor = None if mode.startswith("plain") else Monitor(model, opt)
        if mode == "off":
            monitor.stop()
        position = [0]

        def step(model=model, opt=opt, monitor=monitor, position=position):
            xb, yb = batches[position[0] % len(batches)]
            position[0] += 1
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if monitor is not None:
                monitor.record()

        steps[mode] = step
    return steps


def measure(reps=201, optimizers=("adam", "lamb"), cases=CASES):
    """{(case, optimizer): {mode: median seconds per step}}.

    Two interleaved groups: ``plain, plain again, off`` (is a stopped
    monitor free?) and ``plain, on`` (what recording costs); ``on`` copies
    every weight, which slows whatever runs right after it, so it is kept
    out of the first group. ``on`` is reported relative to its own group's
    ``plain`` (``plain for on``)."""
    out = {}
    for case, (sizes, batch) in cases.items():
        for name in optimizers:
            steps = _setup(sizes, batch, name)
            first = medians(interleaved(
                {k: steps[k] for k in ("plain", "plain again", "off")},
                reps, warmup=3))
            second = medians(interleaved(
                {"plain for on": steps["plain"], "on": steps["on"]}, reps,
                warmup=3))
            out[case, name] = {**first, **second}
    return out


def format_results(found):
    """A markdown table: median step times and their ratios to ``plain``."""
    lines = ["| model | optimizer | plain step | plain again / plain | "
             "recording off | off / plain | recording on | on / plain |",
             "|---|---|---|---|---|---|---|---|"]
    for (case, name), m in found.items():
        lines.append(
            f"| {case} | {name} | {m['plain'] * 1e6:.0f} us | "
            f"{m['plain again'] / m['plain']:.3f} | "
            f"{m['off'] * 1e6:.0f} us | {m['off'] / m['plain']:.3f} | "
            f"{m['on'] * 1e6:.0f} us | {m['on'] / m['plain for on']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_monitor",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=201)
    args = parser.parse_args(argv)
    found = measure(args.reps)
    print(format_results(found))
    ratios = [m["off"] / m["plain"] for m in found.values()]
    print(f"recording off / plain: median {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
