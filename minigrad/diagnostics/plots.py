"""Pictures of the learning-rate finder and of a ``Monitor``'s records.

Matplotlib's object-oriented API through ``viz.plots`` (Agg canvas, no
pyplot), imported only when a picture is made.
"""
import numpy as np

HEALTHY_RATIO = 1e-3  # CS231n's rule of thumb for |update| / |w|


def plot_lrfind(results, path=None, title=None, marks=None):
    """One panel per ``{label: LRFindResult}``: the raw and smoothed loss
    against lr (log axis), the suggestion (dot) and the minimum (cross);
    ``marks``: ``{label: lr}`` drawn as a dashed line (e.g. a sweep's best)."""
    from ..viz.plots import _figure, _save

    n = len(results)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = _figure((3.6 * cols, 2.9 * rows))
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax, (label, r) in zip(axes, results.items()):
        n_ok = len(r.smoothed)
        ax.plot(r.lrs, r.losses, color="0.75", lw=0.8, label="batch loss")
        ax.plot(r.lrs[:n_ok], r.smoothed, color="C0", lw=1.6,
                label="smoothed")
        at = lambda lr: r.smoothed[int(np.argmin(np.abs(r.lrs[:n_ok] - lr)))]
        ax.plot([r.suggestion], [at(r.suggestion)], "o", color="C3",
                label=f"steepest: {r.suggestion:.2g}")
        ax.plot([r.min_lr], [at(r.min_lr)], "x", color="k", ms=8,
                label=f"minimum: {r.min_lr:.2g}")
        if marks and label in marks:
            ax.axvline(marks[label], color="C2", ls="--", lw=1,
                       label=f"sweep's best: {marks[label]:g}")
        ax.set_xscale("log")
        top = min(np.nanmax(r.smoothed) * 1.3, 4 * r.smoothed[0])
        ax.set_ylim(0, max(top, np.nanmin(r.smoothed) * 1.5))
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        if label:
            ax.set_title(label)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[n:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return _save(fig, path, 110)


def plot_monitor(monitor, path=None, title=None):
    """A ``Monitor``'s records: |update|/|w| with the 1e-3 guide, gradient
    norms, LAMB's trust ratios (when recorded) and dead ReLU units."""
    from ..viz.plots import _figure, _save

    panels = ["ratio", "grad_norm"]
    if monitor.has_trust_ratio:
        panels.append("trust_ratio")
    if monitor.relu_names:
        panels.append("dead")
    fig = _figure((4.2 * len(panels), 3.3))
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    steps = np.asarray(monitor.steps)
    labels = {"ratio": "|update| / |w|", "grad_norm": "|grad|",
              "trust_ratio": "LAMB trust ratio ||w|| / ||u||"}
    for ax, name in zip(axes, panels):
        if name == "dead":
            dead = monitor.dead_units()
            for j, layer in enumerate(monitor.relu_names):
                ax.plot(steps, dead[:, j], lw=1.2, label=f"ReLU {layer}")
            ax.set_ylim(-0.02, 1.02)
            ax.set_ylabel("dead units (fraction)")
        else:
            values = monitor.series(name)
            for j, tensor in enumerate(monitor.names):
                style = "--" if monitor.params[j].data.ndim == 1 else "-"
                ax.plot(steps, np.where(values[:, j] > 0, values[:, j],
                                        np.nan), style, lw=1.1, label=tensor)
            ax.set_yscale("log")
            ax.set_ylabel(labels[name])
            if name == "ratio":
                ax.axhline(HEALTHY_RATIO, color="k", lw=0.8, ls=":",
                           label="1e-3")
        ax.set_xlabel("step")
        ax.legend(fontsize=6, ncol=2)
    if title:
        fig.suptitle(title)
    return _save(fig, path, 110)


def plot_runs(runs, path=None):
    """One row per ``{title: (steps, losses, monitor)}``: the training loss,
    |update|/|w| of every tensor (log, with the 1e-3 guide) and the dead
    units of every ReLU layer, against the step."""
    from ..viz.plots import _figure, _save

    fig = _figure((12, 2.6 * len(runs)))
    axes = fig.subplots(len(runs), 3, squeeze=False)
    for row, (title, (steps, losses, monitor)) in zip(axes, runs.items()):
        loss_ax, ratio_ax, dead_ax = row
        loss_ax.plot(steps, losses, "o-", ms=2, color="k")
        loss_ax.set_ylabel("loss (training set)")
        loss_ax.set_title(title, loc="left", fontsize=10)
        ratios, x = monitor.series("ratio"), np.asarray(monitor.steps)
        for j, tensor in enumerate(monitor.names):
            style = "--" if monitor.params[j].data.ndim == 1 else "-"
            ratio_ax.plot(x, np.where(ratios[:, j] > 0, ratios[:, j], np.nan),
                          style, lw=1, label=tensor)
        ratio_ax.axhline(HEALTHY_RATIO, color="k", lw=0.8, ls=":")
        ratio_ax.set_yscale("log")
        ratio_ax.set_ylabel("|update| / |w|")
        dead = monitor.dead_units()
        for j, layer in enumerate(monitor.relu_names):
            dead_ax.plot(x, dead[:, j], lw=1, label=f"ReLU {layer}")
        dead_ax.set_ylim(-0.02, 1.02)
        dead_ax.set_ylabel("dead units")
    axes[0, 1].legend(fontsize=6, ncol=3)
    axes[0, 2].legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    return _save(fig, path, 100)
