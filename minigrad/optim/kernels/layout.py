"""Flat optimizer state and the tables that let one kernel call do a group.

A *bucket* is the parameters of one param group that share a dtype (normally
the whole group). Its state lives in one flat array per buffer name
(``exp_avg``, ...), parameter ``k`` at ``offsets[k]:offsets[k] + sizes[k]``;
per-parameter state is a reshaped view of that slice. The parameters and
gradients are NOT copied into flat arrays: the kernels reach each one's own
memory (``cpu.py``), so assigning ``param.data = new_array`` or loading a
model's state dict can never leave the optimizer updating a stale copy.
"""
from itertools import compress, repeat
from operator import is_, is_not

import numpy as np


# Buckets of at most this many elements have their gradients copied into one
# flat array each step: cheaper than looking up each new gradient array's
# address for the kernel (6 tensors: ~4 us against ~13 us inside a training
# loop), and the copy is cheap at this size.
PACK_LIMIT = 1 << 16


class Batch:
    """The arrays of one step of one bucket, checked and ready for a kernel.

    ``datas[i]`` / ``grads[i]`` belong to parameter ``active[i]``; they are the
    parameter's own arrays, or contiguous copies in the bucket dtype when the
    originals are non-contiguous or of another dtype, in which case
    ``copy_back`` lists ``(original, copy)`` pairs to write back afterwards.
    A *packed* batch (a small bucket, see ``Bucket.gather``) holds views of
    one flat gradient array that ``gather`` refills every step. ``params``
    are the active parameters; ``index`` picks them out of the bucket's
    per-parameter arrays (``steps``, ...): a slice when all are active.
    """

    def __init__(self, active, datas, grads, copy_back, originals, packed,
                 params, n_params):
        self.active = active
        self.datas = datas
        self.grads = grads
        self.copy_back = copy_back
        self.originals = originals  # (data, grad) objects, for the cache
        self.packed = packed
        self.params = params  # the active parameters themselves
        self.counters = None  # their version counters (Optimizer.step)
        # indexes the bucket's per-parameter arrays (steps, ...) at ``active``
        self.index = slice(None) if len(active) == n_params else np.array(
            active, np.int64)
        # every array is the caller's own (no copy): only then may the batch
        # and its address tables be reused (see Bucket.gather)
        self.direct = all(map(is_, datas, originals[0])) and all(
            map(is_, grads, originals[1]))
        self.kernel_cache = None  # backend-specific tables built from this

    def finish(self):
        for original, copy in self.copy_back:
            np.copyto(original, copy, casting="unsafe")


class Bucket:
    """The parameters of one param group that share a dtype, and their state.

    Fields (all set here; nothing else adds any):

    * ``params``, ``ids``: the parameters and their global ids (the
      ``state_dict`` keys); ``dtype``: theirs;
    * ``shapes``, ``sizes``, ``offsets``, ``total``: where parameter ``k``
      lives in the flat buffers (``offsets[k]:offsets[k] + sizes[k]``);
    * ``steps``: each parameter's step count;
    * ``buffers``: name -> flat state array (``exp_avg``, ...);
    * ``born``: name -> each parameter's step count when that buffer
      appeared (0, unless an option switched it on mid-run: SGD's
      momentum starts as ``g`` in the first step with a buffer);
    * ``diagnostics``: name -> float64 per parameter, what the last step
      reports besides the update (LAMB's ``trust_ratio``; NaN: none yet);
    * private caches: the last ``Batch``, the work tables of ``rows``, the
      scratch arrays, the flat gradient array of a packed batch.

    A backend keeps whatever it needs beyond this (the CUDA backend's device
    copies) itself.
    """

    def __init__(self, params, ids, dtype, diagnostics=()):
        self.params = list(params)
        self.ids = list(ids)  # global parameter ids (state_dict keys)
        self.dtype = np.dtype(dtype)
        self.shapes = [p.data.shape for p in self.params]
        self.sizes = np.array([p.data.size for p in self.params], np.int64)
        ends = np.cumsum(self.sizes)
        self.offsets = (ends - self.sizes).astype(np.int64)
        self.total = int(ends[-1]) if len(ends) else 0
        self.steps = np.zeros(len(self.params), np.int64)
        self.buffers = {}
        # per buffer: each parameter's step count when the buffer appeared
        # (0 unless an option switched it on mid-run; SGD's "no buffer yet")
        self.born = {}
        self.diagnostics = {name: np.full(len(self.params), np.nan)
                            for name in diagnostics}
        self._batch = None
        self._rows = {}
        self._scratch = {}
        self._flat_grad = None  # small buckets' gradients, packed (gather)

    def ensure_buffers(self, specs):
        """Allocate the buffers named in ``specs`` (name -> initial value) that
        do not exist yet (an option switched on after construction)."""
        for name, initial in specs.items():
            if name not in self.buffers:
                self.buffers[name] = np.full(self.total, initial, self.dtype)
                self.born[name] = self.steps.copy()

    def scratch(self, name):
        """A work array as long as the state, not part of it (LAMB's update
        between its two passes); allocated once. ``scratch(None)`` is an
        empty array, the argument for a buffer the options do not use."""
        if name not in self._scratch:
            size = 0 if name is None else self.total
            self._scratch[name] = np.empty(size, self.dtype)
        return self._scratch[name]

    def view(self, name, k):
        return self._part(self.buffers[name], k)

    def _part(self, flat, k):
        """Parameter ``k``'s slice of a flat array laid out like the state,
        in the parameter's shape."""
        start = self.offsets[k]
        return flat[start:start + self.sizes[k]].reshape(self.shapes[k])

    def gather(self):
        """Check and collect the arrays of the parameters that have a gradient
        this step (the *active* ones); None if none has.

        Raises (changing nothing) if a parameter's data no longer has the
        shape its state was made for, or a gradient does not match its data.
        The last batch (with the kernels' address tables built from it) is
        reused only while it holds every parameter's and gradient's own array,
        each the same object as last step: the kernels then read the arrays'
        current values through their addresses. A batch that holds a copy (a
        non-contiguous or other-dtype array) is never reused: a copy is a
        snapshot, and the original's values change without its identity
        changing (``opt.zero_grad(set_to_none=False)``, ``p.grad[...] = g``).

        A small bucket (at most ``PACK_LIMIT`` elements) instead copies its
        gradients into one flat array of its own every step, so its batch
        and address tables are reused as long as the parameters' arrays are
        the same: a new gradient array each step (the default
        ``zero_grad()``) then costs a copy of a few kB, not a new table.
        """
        params = self.params
        grads = [p.grad for p in params]
        datas = [p.data for p in params]
        active = tuple(compress(range(len(params)), map(is_not, grads,
                                                         repeat(None))))
        if len(active) != len(params):
            if not active:
                return None
            grads = [grads[k] for k in active]
            datas = [datas[k] for k in active]
        last = self._batch
        if (last is not None and last.active == active
                and all(map(is_, datas, last.originals[0]))):
            if last.packed:
                if self._repack(last, grads):
                    return last
            elif last.direct and all(map(is_, grads, last.originals[1])):
                return last
        use_datas, use_grads, copy_back = [], [], []
        for k, data, grad in zip(active, datas, grads):
            data, grad = self._check(k, data, grad)
            if not self._direct(data) or not data.flags.writeable:
                if not data.flags.writeable:
                    raise ValueError(f"parameter {self.ids[k]} has read-only "
                                     "data; the optimizer cannot update it")
                copy = np.ascontiguousarray(data, dtype=self.dtype)
                copy_back.append((data, copy))
                data = copy
            if not self._direct(grad):
                grad = np.ascontiguousarray(grad, dtype=self.dtype)
            use_datas.append(data)
            use_grads.append(grad)
        packed = not copy_back and self.total <= PACK_LIMIT
        if packed:
            use_grads = self._pack(active, use_grads)
        self._batch = Batch(active, use_datas, use_grads, copy_back,
                            (datas, grads), packed,
                            [params[k] for k in active], len(params))
        return self._batch

    def _pack(self, active, grads):
        """Copy ``grads`` into the bucket's flat gradient array; return the
        views of it that stand in for them (the same views every step)."""
        if self._flat_grad is None:
            self._flat_grad = np.empty(self.total, self.dtype)
        views = [self._part(self._flat_grad, k) for k in active]
        for view, grad in zip(views, grads):
            np.copyto(view, grad, casting="unsafe")
        return views

    def _repack(self, batch, grads):
        """Refill a packed batch's gradient views from this step's gradients,
        if each is a float ndarray of its view's shape (else False, changing
        nothing: ``gather`` then checks them one by one and names the bad one)."""
        views = batch.grads
        for view, grad in zip(views, grads):
            if (type(grad) is not np.ndarray or grad.shape != view.shape
                    or grad.dtype.kind != "f"):
                return False
        for view, grad in zip(views, grads):
            np.copyto(view, grad, casting="unsafe")
        return True

    def _direct(self, array):
        return (array.dtype == self.dtype and array.flags.c_contiguous
                and array.flags.aligned)

    def _check(self, k, data, grad):
        pid = self.ids[k]
        if not isinstance(data, np.ndarray) or data.dtype.kind != "f":
            raise TypeError(f"parameter {pid}: data must be a float ndarray, "
                            f"got {type(data).__name__} "
                            f"{getattr(data, 'dtype', '')}")
        if data.shape != self.shapes[k]:
            raise RuntimeError(
                f"parameter {pid}: data shape changed from {self.shapes[k]} to "
                f"{data.shape} after the optimizer was created; its state no "
                "longer fits (create a new optimizer)")
        given = grad
        if isinstance(grad, np.floating):  # a NumPy scalar: a 0-d array
            grad = np.asarray(grad)
        if isinstance(grad, np.ndarray) and grad.dtype.kind == "f":
            if grad.shape == data.shape:
                return data, grad
        raise ValueError(
            f"parameter {pid}: gradient must be a float ndarray of shape "
            f"{data.shape}, got {type(given).__name__} "
            f"{getattr(given, 'dtype', '')} {getattr(given, 'shape', '')}")

    def rows(self, active, piece):
        """``(work, rows)`` for the active tensors, cut into pieces of at most
        ``piece`` elements (cached per active set)."""
        key = (active, piece)
        if key not in self._rows:
            self._rows = {key: chunk_rows(self.sizes[list(active)], piece)}
        return self._rows[key]


def chunk_rows(sizes, piece):
    """Split tensors of the given sizes, laid end to end, into work items of
    ``piece`` elements (the last may be shorter).

    Returns ``work`` (int64, items + 1) and ``rows`` (int64, (n, 3)): the rows
    ``work[w]:work[w + 1]`` are ``(tensor, start, end)`` pieces that together
    cover exactly the elements of work item ``w``. Empty tensors get no row.
    """
    sizes = np.asarray(sizes, np.int64)
    ends = np.cumsum(sizes)
    starts_of_tensors = ends - sizes
    total = int(ends[-1]) if len(ends) else 0
    piece = max(int(piece), 1)
    bounds = np.append(np.arange(0, total, piece, dtype=np.int64), total)
    cuts = np.union1d(np.append(starts_of_tensors, total), bounds)
    first, last = cuts[:-1], cuts[1:]
    tensor = np.searchsorted(ends, first, side="right")
    offset = starts_of_tensors[tensor]
    rows = np.stack([tensor, first - offset, last - offset], axis=1)
    rows = rows.astype(np.int64).reshape(-1, 3)
    item = np.searchsorted(bounds, first, side="right") - 1
    work = np.searchsorted(item, np.arange(len(bounds)), side="left")
    return work.astype(np.int64), rows
