"""Checking a state dict before ``Optimizer.load_state_dict`` changes anything.

``prepare_load`` validates everything and builds the new buffers off to the
side; the optimizer swaps them in only when all of it passed.
"""
from collections.abc import Mapping
import numbers

import numpy as np


def _fail(message):
    raise ValueError(f"cannot load optimizer state: {message}")


def prepare_load(optimizer, state_dict):
    """Return ``(groups, fills)``: the new hyperparameter dicts (without
    "params") and, per group and bucket, ``(steps, buffers, reports)``
    (``reports``: the rule's diagnostics, NaN where the entry has none)."""
    if not isinstance(state_dict, Mapping) or set(state_dict) != {
            "state", "param_groups"}:
        _fail("expected a dict with exactly the keys 'state' and "
              f"'param_groups', got {type(state_dict).__name__}"
              + (f" with keys {sorted(map(str, state_dict))}"
                 if isinstance(state_dict, Mapping) else ""))
    saved_groups = state_dict["param_groups"]
    saved_state = state_dict["state"]
    if not isinstance(saved_state, Mapping):
        _fail(f"'state' must be a dict, got {type(saved_state).__name__}")
    if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(
            optimizer.param_groups):
        _fail(f"the optimizer has {len(optimizer.param_groups)} param groups, "
              f"the state dict has {_count(saved_groups)}")
    groups, fills, used = [], [], set()
    for index, (group, buckets, saved) in enumerate(zip(
            optimizer.param_groups, optimizer._buckets, saved_groups)):
        new_group, ids = _check_group(optimizer, index, group, saved)
        position = {}  # saved id -> (bucket, k), matched by position
        own_ids = sorted(pid for b in buckets for pid in b.ids)
        for saved_id, own_id in zip(ids, own_ids):
            for bucket in buckets:
                if own_id in bucket.ids:
                    position[saved_id] = (bucket, bucket.ids.index(own_id))
        used.update(ids)
        names = optimizer._buffers(new_group)
        group_fills = []
        for bucket in buckets:
            steps = np.zeros(len(bucket.params), np.int64)
            buffers = {name: np.full(bucket.total, initial, bucket.dtype)
                       for name, initial in names.items()}
            reports = {name: np.full(len(bucket.params), np.nan)
                       for name in optimizer.diagnostics}
            group_fills.append((steps, buffers, reports))
        lookup = {id(b): fill for b, fill in zip(buckets, group_fills)}
        for saved_id in ids:
            if saved_id not in saved_state:
                continue  # never stepped: fresh state
            bucket, k = position[saved_id]
            steps, buffers, reports = lookup[id(bucket)]
            steps[k] = _check_entry(saved_id, saved_state[saved_id], bucket, k,
                                    names, buffers, reports)
        groups.append(new_group)
        fills.append(group_fills)
    extra = set(saved_state) - used
    if extra:
        _fail(f"state for parameter ids {sorted(extra, key=str)} that belong "
              "to no param group")
    return groups, fills


def _count(value):
    return len(value) if isinstance(value, (list, tuple)) else repr(value)


def _check_group(optimizer, index, group, saved):
    if not isinstance(saved, Mapping) or "params" not in saved:
        _fail(f"param group {index} must be a dict with a 'params' list")
    ids = saved["params"]
    if not isinstance(ids, (list, tuple)) or not all(
            isinstance(i, numbers.Integral) and not isinstance(i, bool)
            for i in ids):
        _fail(f"param group {index}: 'params' must be a list of integer ids")
    if len(ids) != len(group["params"]) or len(set(ids)) != len(ids):
        _fail(f"param group {index} has {len(group['params'])} parameters, the "
              f"state dict lists {len(ids)} ids ({len(set(ids))} distinct)")
    new_group = {k: v for k, v in saved.items() if k != "params"}
    for key, value in getattr(optimizer, "added_options", {}).items():
        new_group.setdefault(key, value)  # saved before the option existed
    missing = set(optimizer.defaults) - set(new_group)
    unknown = set(new_group) - set(optimizer.defaults) - {"initial_lr"}
    if missing or unknown:
        _fail(f"param group {index}: missing hyperparameters {sorted(missing)}, "
              f"unknown {sorted(map(str, unknown))}")
    try:
        optimizer._check(new_group)
    except (TypeError, ValueError) as error:
        _fail(f"param group {index}: {error}")
    for key in ("betas", "clip"):
        if isinstance(new_group.get(key), list):
            new_group[key] = tuple(new_group[key])
    return new_group, [int(i) for i in ids]


def _check_entry(pid, entry, bucket, k, names, buffers, reports):
    if not isinstance(entry, Mapping):
        _fail(f"state of parameter {pid} must be a dict, got "
              f"{type(entry).__name__}")
    expected = {"step", *names}
    optional = set(reports)  # diagnostics (LAMB's trust_ratio): with or without
    if not expected <= set(entry) <= expected | optional:
        _fail(f"state of parameter {pid} has keys {sorted(map(str, entry))}, "
              f"expected {sorted(expected)}"
              + (f" and optionally {sorted(optional)}" if optional else ""))
    for name in optional & set(entry):
        value = entry[name]
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, numbers.Real):
            _fail(f"state of parameter {pid}: {name!r} must be a real number, "
                  f"got {value!r}")
        reports[name][k] = float(value)
    step = entry["step"]
    if isinstance(step, np.ndarray) and step.ndim == 0:
        step = step.item()
    if isinstance(step, (bool, np.bool_)) or not isinstance(
            step, numbers.Integral) or not 1 <= step < 2**63:  # int64 counts
        _fail(f"state of parameter {pid}: step must be an integer in "
              f"[1, 2**63), got {step!r}")
    for name in names:
        value = entry[name]
        if not isinstance(value, np.ndarray) or value.shape != bucket.shapes[k] \
                or value.dtype != bucket.dtype:
            _fail(f"state of parameter {pid}: {name!r} must be a "
                  f"{bucket.dtype} array of shape {bucket.shapes[k]}, got "
                  f"{getattr(value, 'dtype', type(value).__name__)} "
                  f"{getattr(value, 'shape', '')}")
        start = bucket.offsets[k]
        buffers[name][start:start + bucket.sizes[k]] = value.reshape(-1)
    return int(step)
