"""End to end: MLPs trained on the toy data sets reach high training accuracy,
deterministically for a seed, in a few seconds."""
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader, make_moons, make_spirals
from minigrad.nn import F
from minigrad.optim import Adam


def adam(params, lr):
    # the readable NumPy reference: no Numba compile time in this test
    return Adam(params, lr=lr, backend="numpy")


def accuracy(model, X, y):
    with mg.no_grad():
        out = model(mg.Tensor(X)).numpy()
    predicted = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0)
    return float(np.mean(predicted == y))


def train_full_batch(model, X, y, loss_fn, steps, lr):
    opt = adam(model.parameters(), lr)
    inputs = mg.Tensor(X)
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(inputs), y)
        loss.backward()
        opt.step()
    return loss.item()


def spirals_run(steps=500, seed=0):
    X, y = make_spirals(300, noise=0.05, n_arms=3, seed=0)
    mg.manual_seed(seed)
    model = nn.MLP([2, 32, 32, 3])
    loss = train_full_batch(model, X, y, F.cross_entropy, steps, lr=0.01)
    return model, loss, accuracy(model, X, y)


def test_mlp_learns_three_arm_spirals():
    start = time.perf_counter()
    _, loss, acc = spirals_run()
    seconds = time.perf_counter() - start
    print(f"spirals: accuracy {acc:.3f}, loss {loss:.4f}, {seconds:.2f} s")
    assert acc >= 0.95
    assert seconds < 30  # a few seconds normally; this only catches a blow-up


def test_mlp_learns_moons_with_bce_and_a_data_loader():
    X, y = make_moons(200, noise=0.1, seed=0)
    mg.manual_seed(0)
    model = nn.MLP([2, 16, 16, 1])
    opt = adam(model.parameters(), lr=0.01)
    loader = DataLoader(X, y, batch_size=50, seed=0)
    start = time.perf_counter()
    for _ in range(60):
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(xb)[:, 0], yb)
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    acc = accuracy(model, X, y)
    print(f"moons: accuracy {acc:.3f}, loss {loss.item():.4f}, {seconds:.2f} s")
    assert acc >= 0.97
    assert seconds < 30


def test_training_is_deterministic_for_a_seed():
    a, loss_a, _ = spirals_run(steps=30, seed=5)
    b, loss_b, _ = spirals_run(steps=30, seed=5)
    c, _, _ = spirals_run(steps=30, seed=6)
    assert loss_a == loss_b
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)


@pytest.mark.parametrize("clip", [False, True])
def test_loss_decreases_with_plain_gradient_descent(clip):
    """The update an optimizer makes, written out: p -= lr * grad."""
    X, y = make_spirals(150, seed=1)
    mg.manual_seed(0)
    model = nn.MLP([2, 16, 3])
    inputs, losses = mg.Tensor(X), []
    for _ in range(100):
        model.zero_grad()
        loss = F.cross_entropy(model(inputs), y)
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        for p in model.parameters():
            p.data -= 0.5 * p.grad
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


def test_train_from_scratch_example_runs_and_exits_0():
    script = pathlib.Path(__file__).parents[1] / "examples" / "train_from_scratch.py"
    done = subprocess.run([sys.executable, str(script), "--epochs", "30"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "final training accuracy" in done.stdout
