"""Data-parallel training: same start on every rank, averaged gradients.

Each of the N ranks holds a full copy of the model and computes the gradient
of the mean loss over its own slice of the global batch. Averaging those N
gradients gives the gradient of the mean loss over the whole global batch
(the slices have equal size), so after ``DistributedOptimizer.step`` every
rank applies the same update to the same parameters, and the replicas stay
equal without ever sending parameters again:

    g = (1/N) * sum_r g_r,     g_r = (1/b) * sum_{i in slice r} grad loss_i
"""
import time

import numpy as np

from . import _comm

__all__ = ["DistributedOptimizer", "broadcast_parameters"]


def _parameter_list(params, what):
    if callable(getattr(params, "parameters", None)):  # a Module
        params = params.parameters()
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(getattr(p, "data", None), np.ndarray):
            raise TypeError(f"{what}: parameter {i} is a {type(p).__name__}, "
                            "expected a tensor with an ndarray .data")
    return params


def check_same_parameters(params, what):
    """Raise ``ValueError`` on every rank if the ranks' parameter lists differ
    in length, shape or dtype (a collective: every rank must call it).

    Without this check a mismatch would make MPI read the wrong bytes or wait
    forever; with it every rank raises the same message, naming the first
    parameter that differs and the ranks that disagree.
    """
    mine = [(tuple(p.data.shape), str(p.data.dtype)) for p in params]
    everyone = _comm.world().allgather(mine)
    for r, theirs in enumerate(everyone):
        if theirs == everyone[0]:
            continue
        if len(theirs) != len(everyone[0]):
            detail = (f"rank 0 has {len(everyone[0])} parameter tensors, "
                      f"rank {r} has {len(theirs)}")
        else:
            i = next(i for i, (a, b) in enumerate(zip(everyone[0], theirs))
                     if a != b)
            detail = (f"parameter {i} is {everyone[0][i][0]} {everyone[0][i][1]} "
                      f"on rank 0 but {theirs[i][0]} {theirs[i][1]} on rank {r}")
        raise ValueError(f"{what}: the ranks disagree on the parameters: "
                         f"{detail}; every rank must build the same model")


def broadcast_parameters(params, root=0):
    """Copy rank ``root``'s parameter values into every rank's parameters,
    in place, so all replicas start from the same weights.

    ``params`` is a Module (its ``parameters()``) or a list of parameters.
    A collective: every rank calls it with the same model. Ranks whose
    parameters differ in number, shape or dtype all raise ``ValueError``.
    """
    params = _parameter_list(params, "broadcast_parameters")
    n = _comm.size()
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) \
            or not 0 <= root < n:
        raise ValueError(f"root must be a rank in 0..{n - 1}, got {root!r}")
    check_same_parameters(params, "broadcast_parameters")
    for p in params:
        values = np.ascontiguousarray(p.data)  # MPI needs one block of memory
        _comm.world().Bcast(values, root=int(root))
        if values is not p.data:
            np.copyto(p.data, values)
        if hasattr(p, "_version"):  # an in-place write, as load_state_dict's
            p._version += 1


class _Flat:
    """One dtype's gradients packed back to back, plus one count per
    parameter of the ranks that had a gradient for it (the last len(params)
    entries), so one Allreduce moves both."""

    def __init__(self, params, dtype):
        self.params = params
        self.sizes = [p.data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(int)
        self.total = int(self.offsets[-1])
        self.buffer = np.zeros(self.total + len(params), dtype)

    def pack(self):
        counts = self.buffer[self.total:]
        for k, p in enumerate(self.params):
            segment = self.buffer[self.offsets[k]:self.offsets[k + 1]]
            if p.grad is None:
                segment[...] = 0
                counts[k] = 0
                continue
            if p.grad.shape != p.data.shape:
                raise ValueError(f"a gradient has shape {p.grad.shape}, its "
                                 f"parameter has shape {p.data.shape}")
            segment.reshape(p.data.shape)[...] = p.grad
            counts[k] = 1

    def unpack(self, n_ranks):
        grads = self.buffer[:self.total]
        grads /= n_ranks  # a missing gradient counted as zero: global mean
        counts = self.buffer[self.total:]
        for k, p in enumerate(self.params):
            if counts[k] == 0:  # no rank had one: the step skips it
                continue
            mean = grads[self.offsets[k]:self.offsets[k + 1]].reshape(
                p.data.shape)
            if p.grad is None:
                p.grad = mean.copy()
            else:
                np.copyto(p.grad, mean)


class DistributedOptimizer:
    """Wrap an optimizer so that ``step()`` first averages the gradients over
    all ranks, then steps the wrapped optimizer with the average.

        opt = dist.DistributedOptimizer(Adam(model.parameters(), lr=1e-3))

    Averaging: every dtype's gradients are packed into one flat buffer owned
    by this object, reduced with a single in-place ``Allreduce`` (sum), and
    divided by the number of ranks -- one message per dtype per step, however
    many tensors the model has. A parameter whose ``.grad`` is None on some
    ranks counts as a zero gradient there (as in the global batch, where those
    rows did not touch it); one with no gradient on any rank stays None and is
    skipped.

    Everything else is the wrapped optimizer's: ``param_groups`` (the very
    list, so lr schedulers work on this object), ``zero_grad``,
    ``state_dict``/``load_state_dict`` (the state is the same on every rank),
    ``on_nonfinite`` (the averaged gradients are the same everywhere, so all
    ranks raise or skip together). With one process ``step`` is the wrapped
    ``step``. Construction is a collective that checks the ranks hold the
    same parameter shapes (``ValueError`` otherwise).

    ``allreduce_seconds`` and ``allreduce_calls`` add up the time spent in,
    and the number of, Allreduce calls (time waiting for slower ranks
    included). Horovod's ``DistributedOptimizer`` is the model; it reduces
    tensor by tensor in fused buffers, in the background during backward.
    """

    _OWN = ("optimizer", "_flats", "_ids", "allreduce_seconds", "allreduce_calls")

    def __init__(self, optimizer):
        for name in ("param_groups", "step", "zero_grad", "state_dict"):
            if not hasattr(optimizer, name):
                raise TypeError(f"DistributedOptimizer wraps an optimizer "
                                f"(it needs .{name}), got "
                                f"{type(optimizer).__name__}")
        if isinstance(optimizer, DistributedOptimizer):
            raise TypeError("this optimizer is already a DistributedOptimizer")
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "allreduce_seconds", 0.0)
        object.__setattr__(self, "allreduce_calls", 0)
        object.__setattr__(self, "_ids", None)
        object.__setattr__(self, "_flats", [])
        self._layout()

    def _layout(self):
        """(Re)build the flat buffers when the parameter list changed (first
        use, or after ``add_param_group``); checks shapes across ranks."""
        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        ids = [id(p) for p in params]
        if ids == self._ids:
            return
        check_same_parameters(params, "DistributedOptimizer")
        flats = []
        for dtype in (np.float32, np.float64):
            mine = [p for p in params if p.data.dtype == dtype]
            if mine:
                flats.append(_Flat(mine, dtype))
        object.__setattr__(self, "_flats", flats)
        object.__setattr__(self, "_ids", ids)

    def synchronize(self):
        """Replace every ``.grad`` by its mean over the ranks (what ``step``
        does before stepping); a collective."""
        from mpi4py import MPI

        n = _comm.size()
        if n == 1:
            return
        self._layout()
        for flat in self._flats:
            flat.pack()
            start = time.perf_counter()
            _comm.world().Allreduce(MPI.IN_PLACE, flat.buffer, op=MPI.SUM)
            object.__setattr__(self, "allreduce_seconds", self.allreduce_seconds
                               + time.perf_counter() - start)
            object.__setattr__(self, "allreduce_calls", self.allreduce_calls + 1)
            flat.unpack(n)

    def step(self, closure=None):
        """Average the gradients over the ranks, then step the wrapped
        optimizer. ``closure`` (optional) is called first and its loss is
        returned, as with any optimizer."""
        loss = closure() if closure is not None else None
        self.synchronize()
        self.optimizer.step()
        return loss

    def __getattr__(self, name):
        # only called for names this object lacks: the wrapped optimizer's
        if name in DistributedOptimizer._OWN:
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    def __setattr__(self, name, value):
        # e.g. opt.on_nonfinite = "skip" must reach the optimizer that checks it
        if name in DistributedOptimizer._OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.optimizer, name, value)

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r})"
