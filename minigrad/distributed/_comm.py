"""The MPI communicator and the collectives minigrad uses, through ``mpi4py``.

Every function here works on ``MPI.COMM_WORLD``, the processes ``mpiexec -n N``
started. A plain ``python script.py`` is a world of one (MPI's "singleton"
start), so the same script runs with or without ``mpiexec``.
"""
import sys
import traceback

import numpy as np

_world = None  # MPI.COMM_WORLD once init() ran
_OPS = ("mean", "sum", "max", "min")

INSTALL_HINT = ("install the optional extra: pip install \"minigrad[mpi]\" "
                "(mpi4py, with MPI itself from the mpich wheel)")


def init():
    """Start MPI (``MPI.COMM_WORLD``) and return the communicator.

    Idempotent: a second call returns the same communicator. Raises
    ``ImportError`` naming the extra to install when ``mpi4py`` (or the MPI
    library under it) is missing. With more than one process it also makes an
    unhandled exception on any rank print that rank's traceback and call
    ``MPI.Abort``, which stops every rank at once: otherwise the others would
    wait forever in their next collective for the rank that died.
    """
    global _world
    if _world is not None:
        return _world
    try:
        from mpi4py import MPI
    except ImportError as exc:  # no mpi4py, or no libmpi under it
        raise ImportError(f"minigrad.distributed needs MPI: {INSTALL_HINT} "
                          f"({exc})") from exc
    _world = MPI.COMM_WORLD
    if _world.Get_size() > 1:
        _install_abort_hook()
    return _world


def world():
    """The communicator; ``RuntimeError`` if ``init()`` has not run."""
    if _world is None:
        raise RuntimeError("minigrad.distributed is not initialised: call "
                           "dist.init() first (once per process)")
    return _world


def rank():
    """This process's number, 0 .. size() - 1."""
    return world().Get_rank()


def size():
    """How many processes train together (``mpiexec -n N``; 1 without it)."""
    return world().Get_size()


def is_root():
    """True on rank 0: the process that prints, plots and writes checkpoints."""
    return rank() == 0


def barrier():
    """Wait until every rank has reached this call."""
    world().Barrier()


def allreduce(array, op="mean"):
    """Combine ``array`` over all ranks and return the result (a new array).

    ``op``: ``"mean"`` (float result), ``"sum"``, ``"max"`` or ``"min"``,
    element by element; every rank gets the same result. Every rank must pass
    an array of the same shape and dtype (MPI cannot check that: a mismatch
    reads the wrong bytes or hangs). A Tensor is reduced through its ``.data``.
    """
    from mpi4py import MPI

    if op not in _OPS:
        raise ValueError(f"op must be one of {', '.join(_OPS)}, got {op!r}")
    out = np.array(getattr(array, "data", array), copy=True, order="C")
    if op == "mean" and not np.issubdtype(out.dtype, np.floating):
        out = out.astype(np.float64)  # a copy, C-ordered
    if out.dtype.kind not in "biuf":
        raise TypeError(f"allreduce needs a numeric array, got {out.dtype}")
    mpi_op = {"mean": MPI.SUM, "sum": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}
    world().Allreduce(MPI.IN_PLACE, out, op=mpi_op[op])
    if op == "mean":
        out /= size()
    return out


def abort(message=None, code=1):
    """Print ``message`` (prefixed with this rank) and stop every rank now."""
    if message:
        print(f"[rank {rank()}] {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    world().Abort(code)


def _install_abort_hook():
    def hook(kind, value, tb):
        # print first: Abort kills this process before Python could
        text = "".join(traceback.format_exception(kind, value, tb))
        prefix = f"[rank {_world.Get_rank()}] "
        sys.stderr.write("".join(prefix + line + "\n"
                                 for line in text.rstrip().splitlines()))
        sys.stderr.write(f"{prefix}unhandled {kind.__name__}: aborting all "
                         f"{_world.Get_size()} ranks\n")
        sys.stderr.flush()
        sys.stdout.flush()
        _world.Abort(1)

    sys.excepthook = hook
