"""Seeing what minigrad does: computation graphs, loss curves, optimizer paths.

* :func:`draw_graph` / :func:`to_dot` -- the graph behind a tensor (graph.py);
* :mod:`minigrad.viz.plots` -- loss curves, decision boundaries, paths over
  contour plots (matplotlib, imported only when a plot is made);
* :mod:`minigrad.viz.surfaces` -- 2-D test landscapes with analytic gradients;
* :mod:`minigrad.viz.experiments` -- the fair training runs behind
  ``minigrad compare`` and ``minigrad train``;
* :mod:`minigrad.viz.registry` -- the optimizers by name, with learning rates
  that suit a small MLP.
"""
from .graph import draw_graph, to_dot

__all__ = ["draw_graph", "to_dot"]
