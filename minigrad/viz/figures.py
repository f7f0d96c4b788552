"""Pictures for the optimizer lab: sweeps, decay, tensor norms, schedules.

Same conventions as ``plots.py`` (matplotlib's object-oriented API on the
Agg canvas, imported only when a picture is made; each function returns the
``Figure`` and writes it to ``path`` when given).
"""
import numpy as np

from .plots import COLORS, _figure, _label, _save


def plot_sweep(cells, path=None, dpi=90, title="Final loss against lr"):
    """Median final loss (and held-out accuracy) against lr, one line per
    optimizer, error bars from the seeds' min to max; diverged runs (loss
    inf) are drawn at the top edge as triangles."""
    from .sweep import best_lrs

    fig = _figure((11, 4.2))
    ax_loss, ax_acc = fig.subplots(1, 2)
    best = best_lrs(cells)
    names = list(dict.fromkeys(c.optimizer for c in cells))
    finite = [x for c in cells for x in c.losses if np.isfinite(x)]
    ceiling = 2 * max(finite) if finite else 10.0
    for name in names:
        mine = [c for c in cells if c.optimizer == name]
        lrs = np.array([c.lr for c in mine])
        for ax, values in ((ax_loss, [np.minimum(c.losses, ceiling)
                                      for c in mine]),
                           (ax_acc, [c.test_accs for c in mine])):
            med = np.array([np.median(v) for v in values])
            lo = med - np.array([np.min(v) for v in values])
            hi = np.array([np.max(v) for v in values]) - med
            ax.errorbar(lrs, med, yerr=[lo, hi], color=COLORS.get(name),
                        marker="o", markersize=3, capsize=2, linewidth=1.2,
                        label=f"{_label(name)} (best lr {best[name]:g})")
        gone = [c.lr for c in mine if not np.isfinite(c.median_loss)]
        ax_loss.plot(gone, [ceiling] * len(gone), "^", color=COLORS.get(name))
    ax_loss.set(xscale="log", yscale="log", xlabel="learning rate",
                ylabel="final training loss", title=title)
    ax_acc.set(xscale="log", xlabel="learning rate", ylim=(0, 1.02),
               ylabel="held-out accuracy", title="Held-out accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(True, which="both", alpha=0.3)
    ax_loss.legend(fontsize="x-small")
    return _save(fig, path, dpi)


def plot_decay(runs, path=None, dpi=90, lr=None, weight_decay=None):
    """``studies.decay_demo`` output: the mean weight against step for each
    gradient scale, Adam + L2 on the left, AdamW on the right."""
    fig = _figure((10, 3.8))
    axes = fig.subplots(1, 2, sharey=True)
    cmap = _cmap()
    for ax, name in zip(axes, ("adam", "adamw")):
        run = runs[name]
        for k, scale in enumerate(run.scales):
            ax.plot(run.steps, run.mean_p[:, k], color=cmap(k / max(
                len(run.scales) - 1, 1)), label=f"gradient scale {scale:g}")
        if lr is not None and weight_decay is not None:
            ax.plot(run.steps, (1 - lr * weight_decay) ** run.steps, "k--",
                    linewidth=0.9, label=r"$(1-\eta\lambda)^t$")
        what = "Adam + L2 (weight_decay in the gradient)" if name == "adam" \
            else "AdamW (decoupled decay)"
        ax.set(title=what, xlabel="step", ylim=(-0.05, 1.05))
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("mean weight (starts at 1)")
    axes[1].legend(fontsize="small")
    return _save(fig, path, dpi)


def plot_norms(runs, path=None, dpi=90, tensors=None):
    """Each tensor's norm against step (log scale), one panel per run.

    runs: a list of ``studies.NormRun``; tensors: names to draw (default
    all)."""
    n = len(runs)
    fig = _figure((4.0 * n, 3.8))
    axes = fig.subplots(1, n, squeeze=False, sharey=True)[0]
    cmap = _cmap()
    for ax, run in zip(axes, runs):
        chosen = [i for i, name in enumerate(run.names)
                  if tensors is None or name in tensors]
        for j, i in enumerate(chosen):
            style = "--" if run.names[i].endswith("bias") else "-"
            ax.plot(np.maximum(run.norms[:, i], 1e-4), style,
                    color=cmap(j / max(len(chosen) - 1, 1)),
                    label=run.names[i], linewidth=1.2)
        r = run.result
        ax.set(yscale="log", xlabel="step", title=f"{run.label}\nloss "
               f"{r.final_loss:.3g}, held-out acc {r.test_acc:.2f}")
        ax.title.set_fontsize("small")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel(r"$\|w\|$ of each tensor")
    axes[-1].legend(fontsize="x-small")
    return _save(fig, path, dpi)


def plot_schedules(schedules, curves=None, path=None, dpi=90):
    """Learning rate against step for each schedule, and (optionally)
    training-loss curves next to it.

    schedules: {label: sequence of lr per step}; curves: {label: (steps,
    losses)}, drawn in the same colour as the schedule of the same label.
    """
    fig = _figure((10 if curves else 5.5, 3.8))
    axes = fig.subplots(1, 2 if curves else 1, squeeze=False)[0]
    cmap = _cmap("tab10")
    for k, (label, lrs) in enumerate(schedules.items()):
        axes[0].plot(np.arange(len(lrs)), lrs, color=cmap(k), label=label)
    axes[0].set(xlabel="step", ylabel="learning rate", title="Schedules")
    axes[0].legend(fontsize="small")
    if curves:
        for k, label in enumerate(schedules):
            if label in curves:
                steps, losses = curves[label]
                axes[1].plot(steps, losses, color=cmap(k), label=label)
        axes[1].set(yscale="log", xlabel="step", ylabel="training loss",
                    title="Loss (whole training set)")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path, dpi)


def _cmap(name="viridis"):
    """A matplotlib colormap by name."""
    from ._deps import require

    return require("matplotlib", "plotting").colormaps[name]
