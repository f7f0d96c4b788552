"""The machinery behind the update rules: where and how a step is computed.

A rule (``optim/adam.py``, ...) holds its math; ``Optimizer.step`` turns it
into a ``Plan`` per bucket and hands that to a backend. Everything here
serves that one direction (see ``docs/kernels.md``):

* ``layout.py``: ``Bucket`` (one group's parameters of one dtype and their
  flat state), ``Batch`` (the arrays of one step), the work tables;
* ``plan.py``: ``Plan``, what one kernel call needs;
* ``backends.py``: ``numpy`` (the rule's NumPy reference), ``cpu`` and
  ``cuda``; ``get(name)`` is the one place a backend is chosen;
* ``jit.py``: compiles the rules' element functions, reads coefficient rows
  by name (imports Numba);
* ``cpu.py``, ``cuda.py``: the kernels, one per rule, each its rule's call.

Importing this package does not import Numba: ``jit``, ``cpu`` and ``cuda``
are imported at the first cpu or cuda step.
"""
from .backends import BACKENDS, get
from .layout import Batch, Bucket
from .plan import Plan

__all__ = ["BACKENDS", "Batch", "Bucket", "Plan", "get"]
