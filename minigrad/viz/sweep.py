"""Optimizers x learning rates x seeds: ``minigrad sweep``.

One training run is one sample of a noisy process (the initial weights,
the batch order and, past a few hundred steps, the rounding of a chaotic
run all depend on the seed and the CPU). A ranking of optimizers therefore
means something only with its spread, and only at stated learning rates:
at another rate the order changes. ``sweep`` runs every (optimizer, lr,
seed) cell with the fair setup of ``experiments.compare_optimizers`` (per
seed: the same data, initial weights and batches for every rule) and
``summarize`` reports, per (optimizer, lr), the median final loss and
held-out accuracy with their min..max over the seeds, and per optimizer
the lr with the lowest median loss.
"""
from dataclasses import dataclass

import numpy as np

from .registry import OPTIMIZERS

DEFAULT_LRS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


@dataclass
class Cell:
    """The seeds' results for one (optimizer, lr)."""
    optimizer: str
    lr: float
    losses: list           # final training loss per seed (inf: diverged)
    test_accs: list        # held-out accuracy per seed

    @property
    def median_loss(self):
        return float(np.median(self.losses))

    @property
    def median_acc(self):
        return float(np.median(self.test_accs))


def sweep(dataset="spirals", optimizers=tuple(OPTIMIZERS), lrs=DEFAULT_LRS,
          seeds=(0, 1, 2), epochs=40, batch_size=32, hidden=(32, 32),
          samples=600, backend="cpu", schedule="constant", warmup=0,
          progress=None):
    """Train every (optimizer, lr, seed); a list of ``Cell``, in the order
    optimizers x lrs. A run whose loss becomes non-finite counts as loss
    ``inf`` (and its accuracy as measured)."""
    from .experiments import compare_optimizers, make_task

    found = {(name, lr): Cell(name, lr, [], []) for name in optimizers
             for lr in lrs}
    for seed in seeds:
        task = make_task(dataset, samples, seed=seed)
        for lr in lrs:
            results = compare_optimizers(
                task, optimizers=optimizers, hidden=hidden, epochs=epochs,
                batch_size=batch_size, lrs={n: lr for n in optimizers},
                backend=backend, seed=seed, target_loss=None,
                progress=progress, schedule=schedule, warmup=warmup)
            for r in results:
                cell = found[(r.optimizer, lr)]
                bad = r.diverged or not np.isfinite(r.final_loss)
                cell.losses.append(float("inf") if bad else r.final_loss)
                cell.test_accs.append(r.test_acc)
    return list(found.values())


def best_lrs(cells):
    """{optimizer: lr with the lowest median final loss} (ties: smaller lr)."""
    best = {}
    for cell in cells:
        old = best.get(cell.optimizer)
        if old is None or cell.median_loss < old.median_loss:
            best[cell.optimizer] = cell
    return {name: cell.lr for name, cell in best.items()}


def format_sweep(cells):
    """A text table: median (min..max) loss and accuracy per cell, the best
    lr of each optimizer marked with '*'."""
    from .registry import display_name

    best = best_lrs(cells)
    header = ["optimizer", "lr", "loss median (min..max)",
              "test acc median (min..max)"]
    rows = []
    for c in cells:
        mark = " *" if best[c.optimizer] == c.lr else ""
        rows.append([display_name(c.optimizer), f"{c.lr:g}{mark}",
                     f"{c.median_loss:.4f} ({min(c.losses):.4f}.."
                     f"{max(c.losses):.4f})",
                     f"{c.median_acc:.3f} ({min(c.test_accs):.3f}.."
                     f"{max(c.test_accs):.3f})"])
    widths = [max(len(h), *(len(r[i]) for r in rows))
              for i, h in enumerate(header)]

    def line(cells_):
        return "  ".join([cells_[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(cells_[1:], widths[1:])])

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    out.append("* lowest median final loss of that optimizer; inf = diverged")
    return "\n".join(out)
