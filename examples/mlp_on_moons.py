"""An MLP learns the two-moons problem with Adam, and draws what it learned.

    python examples/mlp_on_moons.py [--epochs 40] [--plot moons.png]

The standard loop: forward, loss, zero_grad, backward, step. Every epoch
prints the loss on the whole training set; at the end the accuracy on
held-out points, and (with matplotlib) a picture of the decision boundary.
Same thing from the command line: `minigrad train --dataset moons --plot b.png`.
"""
import argparse

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import DataLoader, make_moons
from minigrad.nn import functional as F


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--plot", default=None,
                        help="save the decision boundary to this PNG")
    args = parser.parse_args()

    mg.manual_seed(0)
    X, y = make_moons(400, noise=0.15, seed=0)
    X_train, y_train, X_test, y_test = X[:300], y[:300], X[300:], y[300:]
    model = nn.MLP([2, 32, 32, 2])
    opt = optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(X_train, y_train, batch_size=32, seed=0)

    for epoch in range(1, args.epochs + 1):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 10 == 0 or epoch == args.epochs:
            with mg.no_grad():
                full = F.cross_entropy(model(mg.Tensor(X_train)),
                                       mg.Tensor(y_train)).item()
            print(f"epoch {epoch:3d}  training loss {full:.4f}")

    with mg.no_grad():
        predicted = model(mg.Tensor(X_test)).numpy().argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test))
    print(f"held-out accuracy {accuracy:.3f} on {len(y_test)} points")

    if args.plot:
        from minigrad.viz import plots

        def predict(points):
            with mg.no_grad():
                return model(mg.Tensor(points)).numpy().argmax(axis=1)

        try:
            plots.plot_decision_boundary(predict, X, y, args.plot,
                                         title="MLP on two moons")
            print(f"decision boundary saved to {args.plot}")
        except ImportError as exc:
            print(f"no picture: {exc}")
    return accuracy


if __name__ == "__main__":
    main()
