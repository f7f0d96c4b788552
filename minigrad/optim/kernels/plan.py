"""``Plan``: everything one step of one bucket needs, and nothing else.

``Optimizer.step`` builds a plan from the rule and the param group and hands
it down; a backend reads only the plan and the bucket's layout, never the
optimizer. The path goes one way: ``step()`` -> plan -> backend -> kernel ->
the rule's element function.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class Plan:
    """One kernel call's worth of work.

    * ``kernel``: the rule's kernel name in ``cpu.KERNELS`` / ``cuda.KERNELS``
      (``"adam"``);
    * ``coefficients``: ``(active tensors, fields)`` in the bucket dtype; the
      columns are the rule's ``Coefficients`` fields, in their order, and
      ``jit.row_reader`` is the only code that reads them by position;
    * ``wide_coefficients``: the same table in float64 (LAMB's CPU kernel
      scales its float64 trust ratio by the rate in float64);
    * ``steps``: the step count each active tensor's coefficients were made
      for (SGD: counted from when its momentum buffer appeared), int64;
    * ``flags``: the rule's options as integers, in kernel argument order;
    * ``buffers``: the state arrays in kernel argument order (an empty array
      where the options use none); ``buffer_names``: their names, and
      ``used``: those the options use (name -> initial value);
    * ``scratch``: work arrays that are not state (LAMB's update);
    * ``diagnostics``: float64 arrays, one per name the rule reports (LAMB's
      ``trust_ratio``), one element per active tensor, for the backend to
      fill;
    * ``reference``: ``reference(p, g, state, t)``, the NumPy update of one
      tensor (the ``numpy`` backend); it returns the diagnostics' values.
    """

    kernel: str
    coefficients: np.ndarray
    wide_coefficients: np.ndarray
    steps: np.ndarray
    flags: tuple
    buffers: list
    buffer_names: tuple
    used: dict
    scratch: list
    diagnostics: list
    reference: Callable
