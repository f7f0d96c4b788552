"""Per-op forward + backward time of two engines in one process, interleaved.

    python -m benchmarks.engine_ab OLD_DIR [--reps 41]

``OLD_DIR`` holds an older copy of the package under the name
``minigrad_before`` (e.g. ``git archive <commit> minigrad | tar -x -C d``
then ``mv d/minigrad d/minigrad_before``); the package imports itself only
relatively, so both copies load side by side. Each case builds a tiny graph
(16 float32 elements, so the engine's bookkeeping dominates, not NumPy's
arithmetic), runs its forward and ``backward`` and clears the gradient;
cases of both engines are timed in the same loop (``timing.interleaved``)
and the table gives medians and the ratio new / old.
"""
import argparse
import importlib
import sys

import numpy as np

from .timing import interleaved, medians

N = 16
OPS = {
    "add": lambda mg, x, w: x + w,
    "mul": lambda mg, x, w: x * w,
    "div": lambda mg, x, w: x / w,
    "pow": lambda mg, x, w: w ** x,
    "matmul": lambda mg, x, w: x.reshape(4, 4) @ w.reshape(4, 4),
    "exp": lambda mg, x, w: x.exp(),
    "log": lambda mg, x, w: w.log(),
    "tanh": lambda mg, x, w: x.tanh(),
    "sigmoid": lambda mg, x, w: x.sigmoid(),
    "relu": lambda mg, x, w: x.relu(),
    "maximum": lambda mg, x, w: mg.maximum(x, w),
    "sum(axis)": lambda mg, x, w: x.reshape(4, 4).sum(axis=0),
    "mean": lambda mg, x, w: x.mean(),
    "max(axis)": lambda mg, x, w: x.reshape(4, 4).max(axis=1),
    "transpose": lambda mg, x, w: x.reshape(4, 4).T,
    "getitem": lambda mg, x, w: x[2:9],
    "concatenate": lambda mg, x, w: mg.concatenate([x, w]),
}


def _case(mg, op, links=50):
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal(N, dtype=np.float32), requires_grad=True)
    w = mg.Tensor(rng.uniform(0.5, 1.5, N).astype(np.float32), requires_grad=True)

    def run():  # `links` independent ops, then one backward through all
        outs = [OPS[op](mg, x, w) for _ in range(links)]
        total = outs[0].sum()
        for y in outs[1:]:
            total = total + y.sum()
        total.backward()
        x.grad = w.grad = None

    return run


def _chain(mg, links=100):
    x = mg.Tensor(np.linspace(-1, 1, N, dtype=np.float32), requires_grad=True)
    a = mg.Tensor(np.full(N, 0.9, np.float32))
    b = mg.Tensor(np.full(N, 0.1, np.float32))

    def run():  # section 5's chain: y * a + b then tanh
        y = x
        for _ in range(links):
            y = (y * a + b).tanh()
        y.sum().backward()
        x.grad = None

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_dir")
    parser.add_argument("--reps", type=int, default=41)
    args = parser.parse_args(argv)
    sys.path.insert(0, args.old_dir)
    engines = {"old": importlib.import_module("minigrad_before"),
               "new": importlib.import_module("minigrad")}
    print(f"| case | old, us/run | new, us/run | new / old |\n|---|---|---|---|")
    ratios = []
    for op in ["chain (mul, add, tanh)"] + list(OPS):
        make = (lambda mg: _chain(mg)) if op.startswith("chain") else (
            lambda mg: _case(mg, op))
        cases = {name: make(mg) for name, mg in engines.items()}
        med = medians(interleaved(cases, args.reps, warmup=3, inner=5))
        ratio = med["new"] / med["old"]
        ratios.append(ratio)
        print(f"| {op} | {med['old'] * 1e6:.0f} | {med['new'] * 1e6:.0f} | "
              f"{ratio:.3f} |")
    print(f"| median ratio | | | {np.median(ratios):.3f} |")


if __name__ == "__main__":
    main()
