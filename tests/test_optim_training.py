"""Every rule trains the spirals MLP (minigrad.nn + minigrad.data), on the
default cpu backend; the slow convergence table runs them longer and compares
them side by side."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import data, nn, optim

# learning rates chosen once for this problem (not tuned per test run)
RULES = [(optim.SGD, dict(lr=0.1, momentum=0.9)),
         (optim.Momentum, dict(lr=0.5)),
         (optim.AdaGrad, dict(lr=0.1)),
         (optim.RMSProp, dict(lr=0.01)),
         (optim.Adam, dict(lr=0.01)),
         (optim.AdamW, dict(lr=0.01)),
         (optim.LAMB, dict(lr=0.02))]


def train_spirals(cls, kwargs, steps, n_samples, backend="cpu", seed=0):
    X, y = data.make_spirals(n_samples, noise=0.05, seed=0)
    mg.manual_seed(seed)
    model = nn.MLP([2, 32, 32, 3])
    opt = cls(model.parameters(), backend=backend, **kwargs)
    inputs = mg.Tensor(X.astype(np.float32))
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(inputs), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    accuracy = float((model(inputs).data.argmax(axis=1) == y).mean())
    return losses, accuracy


@pytest.mark.parametrize("cls, kwargs", RULES, ids=[c.__name__ for c, _ in RULES])
def test_each_rule_trains_the_spirals_mlp(cls, kwargs):
    losses, accuracy = train_spirals(cls, kwargs, steps=60, n_samples=150)
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0], (losses[0], losses[-1])
    assert accuracy > 0.5  # chance is 1/3


@pytest.mark.slow
def test_convergence_table():
    """300 full-batch steps on 300 points: every rule fits the spirals.

    Where one run ends depends on rounding (LAMB's path changes with the CPU's
    BLAS kernel), so each row is the median of three initialisations."""
    rows = []
    for cls, kwargs in RULES:
        runs = [train_spirals(cls, kwargs, steps=300, n_samples=300, seed=seed)
                for seed in range(3)]
        rows.append((cls.__name__, np.median([r[0][0] for r in runs]),
                     np.median([r[0][-1] / r[0][0] for r in runs]),
                     np.median([r[1] for r in runs])))
    print("\n| rule | loss at step 1 | loss at step 300 / at step 1 | accuracy |")
    print("|---|---|---|---|")
    for name, first, ratio, accuracy in rows:
        print(f"| {name} | {first:.3f} | {ratio:.3f} | {accuracy:.3f} |")
    for name, first, ratio, accuracy in rows:
        assert ratio < 0.3, name
        assert accuracy >= 0.9, name
