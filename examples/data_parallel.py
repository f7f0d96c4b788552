"""Data-parallel training: N processes, one model, the same result as one
process with an N times larger batch.

Each rank (process) holds the whole model and all the data, trains on its
slice of every global batch, and ``DistributedOptimizer.step`` averages the
gradients over the ranks before the update, so all replicas stay equal:

    g = (1/N) * sum over ranks r of g_r       (equal slices: the global mean)

At the end rank 0 trains the same model in one process with the global batch
and prints how far apart the two results are (float64: rounding only).

Run:  pip install ".[mpi]"
      mpiexec -n 2 python examples/data_parallel.py [--epochs 20] [--batch 16]
      python examples/data_parallel.py            # one rank: plain training
"""
import argparse

import numpy as np

import minigrad as mg
from minigrad import distributed as dist
from minigrad import nn
from minigrad.data import DataLoader, make_spirals
from minigrad.nn import functional as F
from minigrad.optim import Adam


def train(X, y, batch, epochs, rank=0, world_size=1, wrap=lambda opt: opt):
    mg.manual_seed(0)
    model = nn.MLP([2, 32, 32, 3], dtype=np.float64)  # differences: rounding
    if world_size > 1:  # same seed, same weights; broadcast makes it certain
        dist.broadcast_parameters(model, root=0)
    opt = wrap(Adam(model.parameters(), lr=0.01))
    loader = DataLoader(X, y, batch, seed=1, drop_last=True, rank=rank,
                        world_size=world_size)
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    return model


def accuracy(model, X, y):
    with mg.no_grad():
        return float(np.mean(model(mg.Tensor(X)).data.argmax(axis=1) == y))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16,
                        help="rows per rank per step")
    args = parser.parse_args()

    dist.init()
    rank, size = dist.rank(), dist.size()
    X, y = make_spirals(480, seed=0)  # every rank makes the same data
    X = X.astype(np.float64)

    def wrap(opt):
        return dist.DistributedOptimizer(opt)

    model = train(X, y, args.batch, args.epochs, rank, size, wrap)
    if not dist.is_root():
        return
    print(f"{size} rank(s) x batch {args.batch} = global batch "
          f"{args.batch * size}: accuracy {accuracy(model, X, y):.3f}")
    single = train(X, y, args.batch * size, args.epochs)  # one process
    gap = max(float(np.abs(a.data - b.data).max())
              for a, b in zip(model.parameters(), single.parameters()))
    print(f"one process with batch {args.batch * size}: accuracy "
          f"{accuracy(single, X, y):.3f}; largest parameter difference "
          f"{gap:.1e}")


if __name__ == "__main__":
    main()
