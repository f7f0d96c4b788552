"""How often does gradcheck's fast mode miss an error at a single element?

    python examples/fast_mode_misses.py             (200 seeds, a few minutes)
    python examples/fast_mode_misses.py --time      (also time each mode)

The model is a 256-256-10 tanh MLP (68,362 parameters) on a batch of 32.
For each seed one random element of the first weight (65,536 elements) gets
a wrong gradient -- multiplied by 1.5, or shifted by the gradient's typical
size (its root mean square) -- and ``gradcheck_module(fast=True,
directions=k)`` runs with that seed (``locate=False``: only the verdict is
needed). A miss: the check passes the planted weight. The full element-wise
check catches every one of these errors.

Why fast mode can miss: along a random unit direction u the error shows up
as error_j * u_j, and u_j is about 1/sqrt(65536) = 1/256 of the way the
directional derivative is spread, so a one-element error has to stand out
against rtol * |v.J.u|. More directions give it more chances.
``--time`` times ``gradcheck_module`` in each mode on the same model (full
mode takes about a minute).
"""
import argparse
import time

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.autograd import Function
from minigrad.nn import functional as F
from minigrad.testing import gradcheck_module_report


class WrongAt(Function):
    """Identity in forward; backward hands back a gradient that is wrong at
    one element (the planted bug)."""

    label = "wrong_at"

    def __init__(self, index, factor=1.0, shift=0.0):
        self.index, self.factor, self.shift = index, factor, shift

    def forward(self, w):
        return w.copy()

    def backward(self, gy):
        g = gy.copy()
        g[self.index] = g[self.index] * self.factor + self.shift
        return g


class Planted:
    """The MLP with the planted bug in its first weight's gradient."""

    def __init__(self, mlp, bug):
        self.mlp, self.bug = mlp, bug

    def named_parameters(self):
        return self.mlp.named_parameters()

    def __call__(self, x):
        first, *rest = self.mlp.layers
        y = F.linear(x, self.bug(first.weight), first.bias)
        for layer in rest:
            y = layer(y)
        return y


def model_and_batch():
    mg.set_default_dtype(np.float64)
    mg.manual_seed(0)
    mlp = nn.MLP([256, 256, 10], activation="tanh")
    x = mg.Tensor(np.random.default_rng(0).standard_normal((32, 256)))
    return mlp, x


def first_weight_gradient(mlp, x, seed):
    """dL/dW1 for the cotangent gradcheck draws with this seed."""
    out = mlp(x)
    mlp.zero_grad()
    out.backward(np.random.default_rng(seed).standard_normal(out.shape))
    return mlp.layers[0].weight.grad.copy()


def miss_rates(mlp, x, seeds, directions):
    """Miss rate for each number of directions in ``directions``. One check
    with the most directions per seed: the first k of its directions on the
    planted weight are exactly the ones ``directions=k`` would draw."""
    rows = []
    for kind in ("x1.5", "+rms"):
        missed = {k: 0 for k in directions}
        caught_element_wise = 0
        for seed in range(seeds):
            g = first_weight_gradient(mlp, x, seed)
            flat = np.random.default_rng([seed, 7]).integers(g.size)
            index = np.unravel_index(flat, g.shape)
            if kind == "x1.5":
                wrong = {"factor": 1.5}
            else:
                wrong = {"shift": float(np.sqrt(np.mean(g * g)))}
            error = (0.5 * g[index] if kind == "x1.5"
                     else wrong["shift"])  # |error| > atol + rtol * |g_j|?
            caught_element_wise += abs(error) > 1e-5 + 1e-3 * abs(g[index])
            # a new Function per call: each one is freed by its backward
            planted = Planted(mlp, lambda w, i=index, o=wrong: WrongAt(i, **o)(w))
            report = gradcheck_module_report(
                planted, x, fast=True, directions=max(directions), seed=seed,
                locate=False)
            failed = report.results[0]["bad"]  # directions caught on W1
            for k in directions:
                missed[k] += not any(d < k for d in failed)
        rows.append((kind, [missed[k] / seeds for k in directions],
                     caught_element_wise))
    return rows


def time_modes(mlp, x):
    for label, options in (("fast (default directions)", {"fast": True}),
                           ("sampled, samples=10", {"samples": 10}),
                           ("full", {})):
        start = time.perf_counter()
        mg.gradcheck_module(mlp, x, **options)
        print(f"  {label:28s} {time.perf_counter() - start:8.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--time", action="store_true",
                        help="also time gradcheck_module in each mode")
    args = parser.parse_args()
    mlp, x = model_and_batch()
    directions = (1, 2, 4, 8, 16)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    print(f"fast mode misses of a one-element error in a 65,536-element "
          f"weight, over {args.seeds} seeds")
    print("| error | " + " | ".join(f"{k} dir." for k in directions) + " |")
    print("|---|" + "---|" * len(directions))
    rows = miss_rates(mlp, x, args.seeds, directions)
    for kind, rates, _ in rows:
        print(f"| {kind} | " + " | ".join(f"{r:.1%}" for r in rates) + " |")
    print("the element-wise check's tolerance rule catches " + ", ".join(
        f"{kind}: {caught} of {args.seeds}" for kind, _, caught in rows))
    if args.time:
        print("gradcheck_module on the 256-256-10 tanh MLP, batch 32:")
        time_modes(mlp, x)


if __name__ == "__main__":
    main()
