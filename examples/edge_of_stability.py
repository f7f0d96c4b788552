"""The sharpness of the loss during training, by Hessian-vector products.

Full-batch gradient descent with learning rate lr is stable on a quadratic
only while the largest Hessian eigenvalue lambda_max (the "sharpness") is
below 2 / lr. This script trains a small MLP (2-16-1, tanh, mean squared
error, float64) with plain gradient descent and every few steps measures
lambda_max of the loss Hessian by power iteration: v <- H v / |H v|, where
each H v is one ``mg.hvp`` (two backward passes; the Hessian itself, with
its 65^2 entries, is never formed).

    python examples/edge_of_stability.py                  # lr 0.1, 0.25, 0.5
    python examples/edge_of_stability.py --lr 0.17 --steps 400

What it shows (Cohen et al. 2021, "Gradient descent on neural networks
typically occurs at the edge of stability", arXiv:2103.00065):

* small lr: lambda_max keeps growing as the loss falls ("progressive
  sharpening"), far below 2 / lr;
* lr with 2 / lr below the starting sharpness: the loss explodes at once;
* in between: lambda_max rises to about 2 / lr and then hovers there while
  the loss keeps (non-monotonically) falling -- the edge of stability.
"""
import argparse

import numpy as np

import minigrad as mg
from minigrad import nn

rng = np.random.default_rng(0)
X = rng.standard_normal((64, 2))
Y = np.sin(2 * X[:, :1]) * np.cos(X[:, 1:])


def loss_of(w1, b1, w2, b2):
    """Mean squared error of the MLP with these parameters."""
    hidden = (mg.Tensor(X) @ w1.T + b1).tanh()
    return ((hidden @ w2.T + b2 - Y) ** 2).mean()


def sharpness(params, iters=20, seed=0):
    """lambda_max of the loss Hessian at ``params``, by power iteration."""
    v = [np.random.default_rng(seed).standard_normal(p.shape) for p in params]
    point = tuple(mg.Tensor(p.data) for p in params)
    lam = 0.0
    for _ in range(iters):
        norm = np.sqrt(sum(float((u * u).sum()) for u in v))
        v = [u / norm for u in v]
        _, hv = mg.hvp(loss_of, point, tuple(mg.Tensor(u) for u in v))
        lam = sum(float((h.data * u).sum()) for h, u in zip(hv, v))  # v^T H v
        v = [h.data for h in hv]
    return lam


def train(lr, steps, every):
    """[(step, loss, lambda_max)] every ``every`` steps of gradient descent."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16, dtype=np.float64), nn.Tanh(),
                          nn.Linear(16, 1, dtype=np.float64))
    params = list(model.parameters())
    opt = mg.optim.SGD(params, lr=lr)
    rows = []
    for step in range(steps + 1):
        loss = loss_of(*params)
        if step % every == 0:
            rows.append((step, loss.item(), sharpness(params)))
        if not np.isfinite(loss.item()):
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, action="append",
                        help="learning rate (repeatable; default 0.1 0.25 0.5)")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--every", type=int, default=50)
    args = parser.parse_args(argv)
    for lr in args.lr or [0.1, 0.25, 0.5]:
        print(f"\nlr {lr:g}: stable while lambda_max < 2 / lr = {2 / lr:.3g}")
        print(f"{'step':>5} {'loss':>11} {'lambda_max':>11}")
        with np.errstate(all="ignore"):
            for step, loss, lam in train(lr, args.steps, args.every):
                print(f"{step:>5} {loss:>11.4g} {lam:>11.4g}")


if __name__ == "__main__":
    main()
