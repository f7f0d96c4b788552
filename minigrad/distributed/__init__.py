"""Data-parallel training over MPI (optional extra: ``pip install
"minigrad[mpi]"``, which brings ``mpi4py`` and MPI itself from the ``mpich``
wheel; no system MPI needed).

Every process (rank) holds the whole model, trains on its own slice of each
global batch, and ``DistributedOptimizer.step`` averages the gradients over
the ranks before the update, so all replicas take the same step:

    from minigrad import distributed as dist
    dist.init()                                   # MPI.COMM_WORLD; idempotent
    model = nn.MLP([...])
    dist.broadcast_parameters(model, root=0)      # everyone starts from rank 0
    opt = dist.DistributedOptimizer(Adam(model.parameters(), lr=1e-3))
    loader = DataLoader(X, y, batch_size=b, seed=0,
                        rank=dist.rank(), world_size=dist.size())
    for xb, yb in loader:
        opt.zero_grad(); F.cross_entropy(model(xb), yb).backward(); opt.step()

Run it with ``mpiexec -n 4 python train.py``; a plain ``python train.py`` is
one rank and trains as without this module. N ranks with per-rank batch ``b``
compute the same parameters (to rounding) as one process with batch ``b * N``.
The API follows Horovod (``hvd.init``, ``hvd.DistributedOptimizer``,
``hvd.broadcast_parameters``). Importing this package does not import mpi4py;
``init()`` does. See ``docs/distributed.md``.
"""
from ._comm import abort, allreduce, barrier, init, is_root, rank, size
from .optimizer import DistributedOptimizer, broadcast_parameters

__all__ = ["init", "rank", "size", "is_root", "barrier", "allreduce", "abort",
           "broadcast_parameters", "DistributedOptimizer"]
