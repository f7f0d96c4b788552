"""Train a small MLP on the two-moons data with a hand-written SGD loop.

This is what an optimizer does, with nothing hidden: for every mini-batch

    1. forward:   logits = model(x);  loss = cross_entropy(logits, y)
    2. backward:  loss.backward() fills p.grad = dloss/dp for every parameter
    3. update:    p <- p - lr * p.grad          (plain stochastic gradient descent)
    4. reset:     p.grad = 0, because gradients accumulate across backward calls

``minigrad.optim.SGD(model.parameters(), lr=lr)`` does steps 3 and 4 for you
(``opt.step()``, ``opt.zero_grad()``); the other optimizers only change step 3.

Run:  python examples/train_from_scratch.py [--epochs 60] [--lr 0.2] [--seed 0]
"""
import argparse
import time

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader, make_moons
from minigrad.nn import functional as F


def accuracy(model, X, y):
    with mg.no_grad():  # evaluation builds no graph
        predicted = model(mg.Tensor(X)).numpy().argmax(axis=1)
    return float(np.mean(predicted == y))


def ascii_map(model, X, y, width=60, height=18):
    """The model's decision regions ('.' class 0, '#' class 1) with the
    training points on top ('o' class 0, 'x' class 1)."""
    xs = np.linspace(X[:, 0].min() - 0.3, X[:, 0].max() + 0.3, width)
    ys = np.linspace(X[:, 1].max() + 0.3, X[:, 1].min() - 0.3, height)
    grid = np.array([[x, yy] for yy in ys for x in xs], dtype=X.dtype)
    with mg.no_grad():
        regions = model(mg.Tensor(grid)).numpy().argmax(axis=1)
    canvas = np.where(regions == 0, ".", "#").reshape(height, width)
    cols = np.clip(np.searchsorted(xs, X[:, 0]), 0, width - 1)
    rows = np.clip(np.searchsorted(-ys, -X[:, 1]), 0, height - 1)
    canvas[rows, cols] = np.where(y == 0, "o", "x")
    return "\n".join("".join(row) for row in canvas)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    mg.manual_seed(args.seed)  # fixes the init and the shuffling
    X, y = make_moons(300, noise=0.1, seed=args.seed)
    model = nn.MLP([2, 16, 16, 2])  # Linear-ReLU-Linear-ReLU-Linear
    loader = DataLoader(X, y, batch_size=args.batch_size, seed=args.seed)
    print(f"{model}\n{model.num_parameters()} parameters, {len(X)} samples")

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)  # 1. forward
            loss.backward()                        # 2. backward
            for p in model.parameters():           # 3. update (SGD)
                p.data -= args.lr * p.grad
                p.grad[...] = 0                    # 4. reset
            total += loss.item() * len(yb.numpy())
        if epoch == 1 or epoch % 10 == 0:
            print(f"epoch {epoch:3d}  loss {total / len(X):.4f}  "
                  f"train accuracy {accuracy(model, X, y):.3f}")
    seconds = time.perf_counter() - start
    final = accuracy(model, X, y)
    print(f"\n{ascii_map(model, X, y)}\n")
    print(f"final training accuracy {final:.3f} after {args.epochs} epochs "
          f"({seconds:.1f} s)")
    return 0 if final > 0.9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
