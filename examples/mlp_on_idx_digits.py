"""A CS231n-style network trained on IDX files: MNIST from a directory, or
(by default) scikit-learn's bundled 8x8 digits written as IDX files first.

    python examples/mlp_on_idx_digits.py                 # the bundled digits
    python examples/mlp_on_idx_digits.py --data ~/mnist  # your MNIST files

The network is three blocks of affine - batchnorm - ReLU - dropout and a
final affine layer whose scores go through softmax cross-entropy:
``nn.MLP([in, h, h, h, 10], norm="batch", dropout=p)``. ``model.train()``
turns dropout on and makes batchnorm use (and update) the batch statistics;
``model.eval()`` turns dropout off and uses the running statistics, as in
PyTorch. The digits are split 80/20 by a fixed shuffle, written with
``save_idx_dataset`` and read back with ``minigrad.data.MNIST``, the same
reader a real MNIST download goes through.
"""
import argparse
import os
import tempfile
import time

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import MNIST, DataLoader, load_digits, save_idx_dataset
from minigrad.nn import functional as F


def digits_as_idx(folder, seed=0):
    """Write the bundled digits as MNIST-named IDX files (80% train)."""
    images, labels = load_digits()
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(0.8 * len(labels))
    train, test = order[:cut], order[cut:]
    save_idx_dataset(folder, (images[train], labels[train]),
                     (images[test], labels[test]))


def accuracy(model, X, y):
    model.eval()
    with mg.no_grad():
        return float((model(mg.Tensor(X)).data.argmax(axis=1) == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None,
                        help="a directory with MNIST-style IDX files "
                             "(default: the bundled digits, written as IDX)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=100)
    parser.add_argument("--dropout", type=float, default=0.2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="cpu",
                        choices=["cpu", "numpy", "cuda"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.data
        if folder is None:
            folder = os.path.join(scratch, "digits")
            digits_as_idx(folder)
        X, y = MNIST(folder, train=True).arrays()
        X_test, y_test = MNIST(folder, train=False).arrays()
    top = X.max()  # 1 for MNIST; the digits' pixels only reach 16/255
    X, X_test = X / top, X_test / top
    print(f"{len(y)} training and {len(y_test)} test images of "
          f"{X.shape[1]} pixels, {len(np.unique(y))} classes")

    mg.manual_seed(args.seed)
    h = args.hidden
    model = nn.MLP([X.shape[1], h, h, h, 10], norm="batch", dropout=args.dropout)
    print(model)
    opt = optim.Adam(model.parameters(), lr=args.lr, backend=args.backend)
    loader = DataLoader(X, y, batch_size=args.batch_size, seed=args.seed)

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total, count = 0.0, 0
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, count = total + loss.item() * len(yb), count + len(yb)
        if epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  train loss {total / count:.4f}  "
                  f"test accuracy {accuracy(model, X_test, y_test):.4f}")
    seconds = time.perf_counter() - start
    print(f"test accuracy {accuracy(model, X_test, y_test):.4f} after "
          f"{args.epochs} epochs in {seconds:.1f} s of training")


if __name__ == "__main__":
    main()
