"""The ``Optimizer`` base class: param groups, state, and one ``step``.

An update rule (``Adam``, ...) subclasses it and provides

* ``_check(group)``: validate the group's hyperparameters (``ValueError`` with
  the value in the message);
* ``_buffers(group)``: the state buffers the group needs, name -> initial
  value (e.g. ``{"exp_avg": 0.0, "exp_avg_sq": 0.0}``);
* ``_reference(p, g, state, group, t)``: the NumPy update of one tensor at
  step ``t``, in place -- the readable oracle (``backend="numpy"``); it
  returns the values of the rule's ``diagnostics`` (LAMB: its trust ratio);
* ``Coefficients`` (a named tuple: the step's scalars, by name),
  ``_coefficients(group, t)`` (one of them, computed on the host),
  ``_flags(group)`` (options as integers) and the ``kernel`` name: what the
  compiled kernels need.

``step()`` checks and gathers the arrays, then builds one ``Plan`` per bucket
(``optim/kernels/plan.py``) and hands it to the backend: the path from
``step()`` to a rule's element function goes one way, and no backend reads
the optimizer.

State layout follows PyTorch: ``state_dict()`` returns
``{"state": {param_id: {"step": int, "exp_avg": array, ...}},
"param_groups": [{"lr": ..., ..., "params": [param_id, ...]}]}`` where param
ids count the parameters of all groups in order. Unlike PyTorch the arrays are
copies, so training on after ``state_dict()`` does not change what was saved.
"""
from collections.abc import Iterable, Mapping

import numpy as np

from ..tensor import _mark_written, _version_counters
from . import _checks, kernels
from .kernels import Bucket, Plan

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the update rules; not used directly.

    Arguments every rule takes besides its hyperparameters:

    * ``params``: an iterable of parameters, or of dicts ``{"params": [...],
      "lr": ..., ...}`` (param groups; missing hyperparameters take the
      defaults). A set is refused (its order is not stable), as is an empty
      list or a parameter that appears twice.
    * ``backend``: ``"cpu"`` (Numba ``@njit``, default), ``"cuda"`` (Numba
      ``@cuda.jit``; a ``RuntimeError`` if no GPU is usable) or ``"numpy"``
      (the readable reference). All three give the same results to rounding.
    * ``on_nonfinite``: ``None`` (default, like PyTorch: no check), ``"raise"``
      (``FloatingPointError`` naming the parameter) or ``"skip"`` (the step is
      refused and counted in ``skipped_steps``). Either way, parameters and
      state are left exactly as they were.

    ``kernel_calls`` counts compiled-kernel launches: one per param group
    (and dtype) per step, however many tensors the group holds.
    """

    kernel = None  # name of the rule's kernels in kernels/cpu.py, cuda.py
    buffer_names = ()  # every buffer the kernels take, in argument order
    scratch_names = ()  # work arrays (not state) the cpu kernel takes
    diagnostics = ()  # per-parameter reports of each step (opt.state[p])
    Coefficients = None  # named tuple of the scalars _coefficients returns

    def __init__(self, params, defaults, *, backend="cpu", on_nonfinite=None):
        self.defaults = dict(defaults)
        self._check(self.defaults)
        self.on_nonfinite = _checks.on_nonfinite(on_nonfinite)
        self._backend = kernels.get(backend)  # the one place a backend is chosen
        self.backend = backend
        self.param_groups = []
        self._buckets = []
        self.kernel_calls = 0  # compiled-kernel launches so far (for tests)
        self.skipped_steps = 0  # steps refused by on_nonfinite="skip"
        if isinstance(params, (set, frozenset)):
            raise TypeError("params must be an ordered iterable (list, tuple, "
                            "generator) of parameters or of dicts; a set's "
                            "order changes between runs, so state_dict ids "
                            "would not match")
        if callable(getattr(params, "parameters", None)):  # a Module
            raise TypeError(f"params must be the parameters, not the "
                            f"{type(params).__name__} module itself: pass "
                            "model.parameters()")
        if hasattr(params, "data") or not isinstance(params, Iterable):
            raise TypeError("params must be an iterable of parameters or of "
                            f"dicts, got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], Mapping):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ groups
    def add_param_group(self, group):
        """Add a dict with a ``"params"`` list and optional hyperparameters
        (missing ones take the optimizer's defaults)."""
        if not isinstance(group, Mapping) or "params" not in group:
            raise TypeError("a param group must be a dict with a 'params' "
                            f"entry, got {type(group).__name__}")
        params = group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError("a param group's 'params' must be ordered, not a "
                            "set (state_dict ids would change between runs)")
        params = [params] if hasattr(params, "data") else list(params)
        if not params:
            raise ValueError("a param group has an empty parameter list")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"unknown hyperparameters {sorted(unknown)} for "
                             f"{type(self).__name__} (it takes "
                             f"{sorted(self.defaults)})")
        new = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self._check(new)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if isinstance(p, Mapping) or not isinstance(
                    getattr(p, "data", None), np.ndarray):
                raise TypeError("parameters must be tensors with an ndarray "
                                f".data, got {type(p).__name__}")
            if p.data.dtype not in (np.float32, np.float64):
                raise TypeError("parameters must be float32 or float64, got "
                                f"{p.data.dtype} of shape {p.data.shape}")
            if getattr(p, "is_leaf", True) is False:
                raise ValueError("can't optimize a non-leaf tensor (one "
                                 "computed from others); optimize its inputs")
            if id(p) in seen:
                raise ValueError("a parameter appears twice (in two param "
                                 "groups, or twice in one); each parameter "
                                 "must be in exactly one group")
            seen.add(id(p))
        new["params"] = params
        first_id = sum(len(g["params"]) for g in self.param_groups)
        ids = range(first_id, first_id + len(params))
        buckets = []
        for dtype in (np.float32, np.float64):
            mine = [(i, p) for i, p in zip(ids, params) if p.data.dtype == dtype]
            if mine:
                bucket = Bucket([p for _, p in mine], [i for i, _ in mine], dtype,
                                self.diagnostics)
                bucket.ensure_buffers(self._buffers(new))
                buckets.append(bucket)
        self.param_groups.append(new)
        self._buckets.append(buckets)

    # -------------------------------------------------------------- step
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set them to None (default, like PyTorch), or
        fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; those whose ``.grad``
        is None are skipped and their state does not advance.

        ``closure`` (optional) re-evaluates the model and returns the loss.
        Everything is checked before anything changes: a bad hyperparameter,
        a gradient of the wrong shape, or (with ``on_nonfinite="raise"``) a
        NaN/Inf gradient raises and leaves parameters and state untouched.
        """
        loss = closure() if closure is not None else None
        work = []
        for index, (group, buckets) in enumerate(zip(self.param_groups,
                                                     self._buckets)):
            self._check(group)
            for bucket in buckets:
                batch = bucket.gather()
                if batch is not None:
                    work.append((group, bucket, batch))
        if self.on_nonfinite is not None and not self._all_finite(work):
            return loss
        for group, bucket, batch in work:
            used = self._buffers(group)
            bucket.ensure_buffers(used)
            bucket.steps[batch.index] += 1
            plan = self._plan(group, bucket, batch, used)
            self.kernel_calls += self._backend.step(plan, bucket, batch)
            batch.finish()
            for name, values in zip(self.diagnostics, plan.diagnostics):
                bucket.diagnostics[name][batch.index] = values
            # in-place writes: a later backward through the old values refuses
            if batch.counters is None:
                batch.counters = _version_counters(batch.params)
            _mark_written(batch.counters)
        return loss

    def _all_finite(self, work):
        for _, bucket, batch in work:
            for k, g in zip(batch.active, batch.grads):
                if not np.isfinite(g).all():
                    if self.on_nonfinite == "raise":
                        bad = int(g.size - np.isfinite(g).sum())
                        raise FloatingPointError(
                            f"parameter {bucket.ids[k]} has {bad} non-finite "
                            f"gradient value(s) of {g.size}; step refused, "
                            "parameters and state unchanged")
                    self.skipped_steps += 1
                    return False
        return True

    def _steps(self, bucket, index):
        """The step count ``t`` each active tensor's update uses (the rule's
        ``_coefficients`` and ``_reference`` see it): its own step count.
        ``index``: the batch's (a slice when every tensor is active)."""
        return bucket.steps[index]

    def _plan(self, group, bucket, batch, used):
        """What the backend needs for this bucket's step (see ``Plan``);
        ``used``: the buffers the group's options use."""
        steps = self._steps(bucket, batch.index)
        wide = self._coefficient_table(group, steps)
        empty = bucket.scratch(None)  # stands for a buffer the options lack
        return Plan(
            kernel=self.kernel,
            coefficients=wide.astype(bucket.dtype, copy=False),
            wide_coefficients=wide, steps=steps, flags=self._flags(group),
            buffers=[bucket.buffers.get(name, empty)
                     for name in self.buffer_names],
            buffer_names=self.buffer_names, used=used,
            scratch=[bucket.scratch(name) for name in self.scratch_names],
            diagnostics=[np.empty(len(steps)) for _ in self.diagnostics],
            reference=lambda p, g, state, t: self._reference(p, g, state,
                                                             group, t))

    def _coefficient_table(self, group, steps):
        """One row of host-computed coefficients per tensor (the columns:
        ``Coefficients`` fields), in float64; computed once per distinct step
        count (usually one per group)."""
        counts = steps.tolist()
        if counts.count(counts[0]) == len(counts):  # the usual case: one t
            row = np.array(tuple(self._coefficients(group, counts[0])), np.float64)
            table = np.empty((len(counts), row.size))
            table[...] = row
            return table
        unique, where = np.unique(steps, return_inverse=True)
        rows = [self._coefficients(group, int(t)) for t in unique]
        return np.array(rows, np.float64).reshape(len(unique), -1)[where]

    # ------------------------------------------------------------- state

    @property
    def state(self):
        """``opt.state[param]`` -> ``{"step": int, name: view}``: views into
        the flat buffers (on the cpu and numpy backends writing to them changes
        the optimizer's state; on cuda the state lives on the device and these
        are host copies -- use ``load_state_dict`` to change it)."""
        self._backend.sync(self._all_buckets())
        return _StateView(self)

    def _param_state(self, bucket, k):
        state = {"step": int(bucket.steps[k])}
        for name in bucket.buffers:
            state[name] = bucket.view(name, k)
        for name, values in bucket.diagnostics.items():
            if not np.isnan(values[k]):
                state[name] = float(values[k])
        return state

    def _all_buckets(self):
        return [bucket for buckets in self._buckets for bucket in buckets]

    def state_dict(self):
        """``{"state": {id: {"step", buffers...}}, "param_groups": [...]}``;
        a rule's ``diagnostics`` (LAMB's ``trust_ratio``) are reports of the
        last step, not state: they are left out."""
        self._backend.sync(self._all_buckets())
        state = {}
        groups = []
        for group, buckets in zip(self.param_groups, self._buckets):
            for bucket in buckets:
                needed = self._buffers(group)
                for k, pid in enumerate(bucket.ids):
                    if bucket.steps[k] > 0:
                        state[pid] = {"step": int(bucket.steps[k])}
                        for name in needed:
                            state[pid][name] = bucket.view(name, k).copy()
            first = min(b.ids[0] for b in buckets)
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(first, first + len(group["params"])))
            groups.append(saved)
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()`` (parameters are matched by position).
        Counts, hyperparameters, shapes and dtypes are checked first; on any
        mismatch a ValueError is raised and nothing changes."""
        from ._load import prepare_load

        self._backend.sync(self._all_buckets())
        new_groups, new_buckets = prepare_load(self, state_dict)
        for group, buckets, new_group, fills in zip(
                self.param_groups, self._buckets, new_groups, new_buckets):
            params = group["params"]
            group.clear()
            group.update(new_group)
            group["params"] = params
            for bucket, (steps, buffers, reports) in zip(buckets, fills):
                bucket.steps[:] = steps
                bucket.buffers = buffers
                bucket.born = {name: np.zeros_like(steps) for name in buffers}
                bucket.diagnostics = reports
            self._backend.forget(buckets)  # its copies are of the old state

    def check_state_dict(self, state_dict):
        """Raise what ``load_state_dict(state_dict)`` would raise, and change
        nothing. ``mg.restore`` checks every object this way first."""
        from ._load import prepare_load

        prepare_load(self, state_dict)

    def __repr__(self):
        lines = [f"{type(self).__name__} (backend={self.backend!r})"]
        for i, group in enumerate(self.param_groups):
            lines.append(f"  group {i}: {len(group['params'])} params")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines)


class _StateView(Mapping):
    """Read access ``state[param]`` keyed by parameter identity (tensors need
    not be hashable); iterating yields the parameters that have stepped."""

    def __init__(self, optimizer):
        self._entries = {}
        for buckets in optimizer._buckets:
            for bucket in buckets:
                for k, p in enumerate(bucket.params):
                    if bucket.steps[k] > 0:
                        self._entries[id(p)] = (p, bucket, k)
        self._optimizer = optimizer

    def __getitem__(self, param):
        if id(param) not in self._entries:
            raise KeyError("this parameter has no optimizer state (not in "
                           "the optimizer, or not stepped yet)")
        p, bucket, k = self._entries[id(param)]
        return self._optimizer._param_state(bucket, k)

    def __iter__(self):
        return (p for p, _, _ in self._entries.values())

    def __len__(self):
        return len(self._entries)
