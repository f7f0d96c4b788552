"""``--distributed`` for the training commands: start MPI, let rank 0 alone
print, and turn an error on any rank into a stop of every rank."""
import os
import sys

HELP = ("data-parallel over MPI: start with mpiexec -n N (or mpirun); "
        "--batch-size is then per process, the global batch N times it. "
        "Needs the 'mpi' extra")


def add_option(p):
    """``--distributed``."""
    p.add_argument("--distributed", action="store_true", help=HELP)


def launched_size():
    """How many processes the MPI launcher started, read from the variables
    it sets (MPICH's PMI_SIZE, Open MPI's OMPI_COMM_WORLD_SIZE); 1 if none."""
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 1


def run(args, body):
    """``body(args)`` as the command: plain when ``--distributed`` is off;
    otherwise after ``dist.init()``, with stdout of ranks other than 0 sent
    nowhere, and an exception on any rank printed and turned into
    ``MPI.Abort`` (the other ranks would wait for it forever)."""
    if not args.distributed:
        if launched_size() > 1:
            raise RuntimeError(
                f"started by an MPI launcher with {launched_size()} processes "
                f"but without --distributed, so each would run the whole job "
                f"alone: add --distributed")
        return body(args)
    from .. import distributed as dist

    try:
        dist.init()
    except ImportError as exc:  # main() reports RuntimeError without traceback
        raise RuntimeError(str(exc)) from exc
    if dist.size() == 1:
        return body(args)
    if not dist.is_root():
        sys.stdout = open(os.devnull, "w", encoding="utf-8")
    try:
        return body(args)
    except Exception as exc:  # noqa: BLE001 -- any error must stop all ranks
        dist.abort(f"minigrad {args.command}: error: {type(exc).__name__}: "
                   f"{exc}")
