"""Pictures for learning: loss curves, decision boundaries, optimizer paths.

Matplotlib is imported only when a plot is made, and only through its
object-oriented API (``matplotlib.figure.Figure`` drawn by the Agg canvas): no
pyplot, no global backend switch, so calling these from a script, a server or
a notebook behaves the same. Every function returns the ``Figure`` and, when
``path`` is given, also writes it there (PNG, SVG or PDF by the suffix).
"""
import io
import os

import numpy as np

from ._deps import MissingDependencyError, require  # noqa: F401 (re-export)

# One colour per optimizer, the same in every picture (colour-blind safe
# "tab10" entries, in story order).
COLORS = {
    "sgd": "#1f77b4", "momentum": "#ff7f0e", "adagrad": "#2ca02c",
    "rmsprop": "#d62728", "adam": "#9467bd", "adamw": "#8c564b",
    "lamb": "#e377c2", "newton": "#17becf", "damped-newton": "#bcbd22",
}


def _figure(figsize):
    """A new Figure on the Agg canvas, or a MissingDependencyError."""
    agg = require("matplotlib.backends.backend_agg", "plotting")
    figure = require("matplotlib.figure", "plotting")
    fig = figure.Figure(figsize=figsize, layout="constrained")
    agg.FigureCanvasAgg(fig)
    return fig


def _save(fig, path, dpi):
    if path is None:
        return fig
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    if not os.fspath(path).lower().endswith(".png"):
        fig.savefig(path, dpi=dpi)
        return fig
    # PNGs go through a 256-colour palette: a third of the bytes, the same
    # picture (these plots have a handful of colours plus antialiasing)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    image = require("PIL.Image", "saving a PNG").open(buffer)
    image.convert("RGB").quantize(colors=256).save(path, optimize=True)
    return fig


def _label(name, lr=None):
    """"Adam" or, with its learning rate, "Adam (lr 0.01)"."""
    from .registry import display_name
    if lr is None:
        return display_name(name)
    return f"{display_name(name)} (lr {lr:g})"


def plot_loss_curves(curves, path=None, title="Training loss", target=None,
                     xlabel="step", ylabel="loss", accuracy=None, dpi=100,
                     logy=True, lrs=None):
    """Loss against step, one line per run.

    curves: {name: (steps, losses)} with two 1-D sequences each.
    target: draw a dashed horizontal line at this loss.
    accuracy: optional {name: (steps, accuracies)}, drawn in a second panel.
    lrs: optional {name: lr}; the legend then names each run's rate.
    """
    lrs = lrs or {}
    fig = _figure((10, 4) if accuracy else (6, 4))
    axes = fig.subplots(1, 2 if accuracy else 1, squeeze=False)[0]
    ax = axes[0]
    for name, (steps, losses) in curves.items():
        ax.plot(steps, losses, label=_label(name, lrs.get(name)),
                color=COLORS.get(name), linewidth=1.4)
    if target is not None:
        ax.axhline(target, color="grey", linestyle="--", linewidth=1,
                   label=f"target {target:g}")
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    if accuracy:
        ax2 = axes[1]
        for name, (steps, acc) in accuracy.items():
            ax2.plot(steps, acc, label=_label(name), color=COLORS.get(name),
                     linewidth=1.4)
        ax2.set(xlabel=xlabel, ylabel="accuracy", ylim=(0, 1.02),
                title="Accuracy on held-out points")
        ax2.grid(True, alpha=0.3)
    return _save(fig, path, dpi)


def plot_decision_boundary(predict, X, y, path=None, title="Decision boundary",
                           resolution=200, dpi=100):
    """Colour the plane by the class ``predict`` assigns, with the data on top.

    predict: maps an (N, 2) float array to N integer class labels.
    X, y: the data points (N, 2) and their integer labels.
    """
    X = np.asarray(X)
    y = np.asarray(y).reshape(-1)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(X.dtype)
    zones = np.asarray(predict(grid)).reshape(gx.shape)
    aspect = (hi[1] - lo[1]) / (hi[0] - lo[0])   # keep circles round
    fig = _figure((5.5, float(np.clip(5.5 * aspect, 2.5, 7.0)) + 0.5))
    ax = fig.subplots()
    n_classes = int(max(zones.max(), y.max())) + 1
    levels = np.arange(n_classes + 1) - 0.5
    ax.contourf(gx, gy, zones, levels=levels, cmap="coolwarm", alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=10,
               vmin=0, vmax=max(n_classes - 1, 1), edgecolors="k",
               linewidths=0.2)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.set_aspect("equal")
    return _save(fig, path, dpi)


def _contour(ax, surface, resolution=200):
    gx, gy = np.meshgrid(np.linspace(*surface.xlim, resolution),
                         np.linspace(*surface.ylim, resolution))
    z = surface.f(gx, gy) - surface.f_min
    if surface.log_levels:
        levels = np.logspace(-1, np.log10(z.max()), 20)
    else:
        # evenly spaced in rank, so flat floors get lines too
        levels = np.unique(np.quantile(z, np.linspace(0.0, 0.98, 20)[1:]))
    ax.contour(gx, gy, z, levels=levels, cmap="Greys_r", linewidths=0.5,
               alpha=0.45)
    ax.plot(*surface.minimum, marker="*", color="gold", markersize=14,
            markeredgecolor="k", zorder=5)
    ax.plot(*surface.start, marker="o", color="k", markersize=5, zorder=5)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="x", ylabel="y")


def draw_paths(ax, surface, paths, lrs=None, reference=None):
    """Contour lines of ``surface`` with each path drawn over them.

    lrs: optional {name: lr} for the legend. reference: optional
    (label, path) drawn dashed in grey underneath, for comparison.
    Long paths get a marker every few steps only, so they stay readable.
    """
    lrs = lrs or {}
    _contour(ax, surface)
    if reference is not None:
        label, points = reference
        ax.plot(points[:, 0], points[:, 1], "--", color="0.35", label=label,
                linewidth=1.1)
        ax.plot(*points[-1], "x", color="0.35", markersize=7)
    for name, points in paths.items():
        every = max(1, (len(points) - 1) // 60)
        ax.plot(points[:, 0], points[:, 1], "-o", color=COLORS.get(name),
                label=_label(name, lrs.get(name)), markersize=1.8,
                markevery=every, linewidth=1.0, alpha=0.85)
        ax.plot(*points[-1], "X", color=COLORS.get(name), markersize=7,
                markeredgecolor="k", markeredgewidth=0.5, zorder=6)
    ax.set_title(f"{surface.title}: {surface.formula}", fontsize="medium")


def _loss_panel(ax, surface, paths, lrs=None, reference=None):
    from .surfaces import path_losses

    lrs = lrs or {}
    if reference is not None:
        label, points = reference
        ax.plot(np.maximum(path_losses(surface, points), 1e-16), "--",
                color="0.35", label=label, linewidth=1.1)
    for name, points in paths.items():
        gap = np.maximum(path_losses(surface, points), 1e-16)
        ax.plot(gap, color=COLORS.get(name), label=_label(name, lrs.get(name)),
                linewidth=1.2)
    ax.set_yscale("log")
    ax.set(xlabel="step", ylabel=r"$f - f_{min}$")
    ax.grid(True, which="both", alpha=0.3)


def plot_paths(surface, paths, path=None, dpi=90, lrs=None):
    """Trajectories over the contour plot, and f - f_min against step.

    lrs: {name: lr} of the runs, shown in the legend (X marks each end).
    """
    fig = _figure((11, 5.0))
    ax_map, ax_loss = fig.subplots(1, 2, width_ratios=[1.4, 1])
    draw_paths(ax_map, surface, paths, lrs=lrs)
    _loss_panel(ax_loss, surface, paths, lrs=lrs)
    ax_loss.set_title("Loss along the path")
    # the legend goes below the map, where it hides no path
    fig.legend(*ax_map.get_legend_handles_labels(), loc="outside lower center",
               ncols=4, fontsize="small")
    return _save(fig, path, dpi)


def plot_optimizer_paths(name, surfaces_and_paths, path=None, dpi=80,
                         lrs=None, references=None):
    """One optimizer's path on several surfaces, side by side (for the docs),
    with the loss along each path underneath.

    surfaces_and_paths: a list of (surface, path array) pairs. lrs: the lr of
    each pair (legend). references: per pair, None or (label, path) drawn
    dashed in grey (e.g. Adam under AdamW, to show what the decay does).
    """
    n = len(surfaces_and_paths)
    lrs = list(lrs or [None] * n)
    references = list(references or [None] * n)
    fig = _figure((4.2 * n, 6.2))
    axes = fig.subplots(2, n, squeeze=False, height_ratios=[1.25, 1])
    for k, (surface, points) in enumerate(surfaces_and_paths):
        ax, ax_loss = axes[0][k], axes[1][k]
        rates = {name: lrs[k]} if lrs[k] is not None else None
        draw_paths(ax, surface, {name: points}, lrs=rates,
                   reference=references[k])
        where = surface.title[0].lower() + surface.title[1:]
        ax.set_title(f"{_label(name)}: {where}", fontsize="medium")
        ax.legend(fontsize="x-small", loc="lower left")
        _loss_panel(ax_loss, surface, {name: points}, lrs=rates,
                    reference=references[k])
    return _save(fig, path, dpi)
