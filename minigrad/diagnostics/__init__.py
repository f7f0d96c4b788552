"""Watching training: the learning-rate finder and per-layer diagnostics.

* :func:`lr_find` -- the learning-rate range test (lrfind.py): one short run
  with an exponentially growing lr, a suggested lr, everything restored;
* :class:`Monitor` -- per parameter tensor and step: gradient norm, weight
  norm, update norm, update/weight ratio, LAMB's trust ratio, dead ReLU
  units (monitor.py);
* pictures of both (plots.py, matplotlib on demand).

``minigrad lrfind`` and ``minigrad train --monitor K`` use them; see
docs/watching.md.
"""
from .lrfind import LRFindResult, lr_find
from .monitor import Monitor

__all__ = ["lr_find", "LRFindResult", "Monitor"]
