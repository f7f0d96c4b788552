"""Cross-cutting reliability: a bad checkpoint changes nothing, a non-finite
gradient is refused by the optimizer, anomaly mode points at the culprit in a
real training loop."""
import numpy as np
import pytest

import minigrad as mg

nn = pytest.importorskip("minigrad.nn")
optim = pytest.importorskip("minigrad.optim")
F = nn.functional

RULES = ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW", "LAMB"]


def _setup(name="Adam", backend="numpy", sizes=(2, 8, 2), **options):
    mg.manual_seed(0)
    model = nn.MLP(list(sizes))
    opt = getattr(optim, name)(model.parameters(), lr=0.05, backend=backend,
                               **options)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, sizes[0])).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    return model, opt, X, y


def _train(model, opt, X, y, steps):
    for _ in range(steps):
        loss = F.cross_entropy(model(mg.Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def _snapshot(model, opt):
    opt_state = opt.state_dict()
    buffers = {(pid, k): np.array(v, copy=True) for pid, entry in
               opt_state["state"].items() for k, v in entry.items()}
    groups = [{k: v for k, v in g.items() if k != "params"}
              for g in opt_state["param_groups"]]
    params = {k: v.copy() for k, v in model.state_dict().items()}
    return params, buffers, groups


def _assert_same(before, after):
    (p0, b0, g0), (p1, b1, g1) = before, after
    assert p0.keys() == p1.keys() and b0.keys() == b1.keys() and g0 == g1
    for k in p0:
        assert p0[k].tobytes() == p1[k].tobytes(), f"parameter {k} changed"
    for k in b0:
        assert b0[k].tobytes() == b1[k].tobytes(), f"optimizer state {k} changed"


def _restore(model, opt, path):
    checkpoint = mg.load(path)
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])


# ---------------------------------------------- failed loads change nothing
def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip_in_data(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x10  # the middle of the arrays
    path.write_bytes(bytes(data))


def _foreign(path):
    np.savez(path.open("wb"), **{"0.weight": np.zeros((8, 2), np.float32)})


@pytest.mark.parametrize("damage", [_truncate, _flip_in_data, _foreign,
                                    lambda p: p.unlink()],
                         ids=["truncated", "bit-flip", "foreign", "missing"])
def test_a_damaged_checkpoint_leaves_model_and_optimizer_untouched(tmp_path, damage):
    model, opt, X, y = _setup()
    _train(model, opt, X, y, 3)
    path = tmp_path / "ckpt.npz"
    mg.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, path)
    _train(model, opt, X, y, 2)  # the live state now differs from the file
    before = _snapshot(model, opt)
    damage(path)
    with pytest.raises(mg.CheckpointError, match="ckpt.npz"):
        _restore(model, opt, path)
    _assert_same(before, _snapshot(model, opt))
    _train(model, opt, X, y, 1)  # and training goes on normally


def test_a_checkpoint_of_another_model_is_refused_without_changes(tmp_path):
    other, other_opt, X, y = _setup(sizes=(2, 16, 2))
    _train(other, other_opt, X, y, 2)
    path = tmp_path / "other.npz"
    mg.save({"model": other.state_dict(), "optimizer": other_opt.state_dict()}, path)
    model, opt, X, y = _setup(sizes=(2, 8, 2))
    _train(model, opt, X, y, 2)
    before = _snapshot(model, opt)
    checkpoint = mg.load(path)
    with pytest.raises((ValueError, KeyError, RuntimeError)):
        model.load_state_dict(checkpoint["model"])
    with pytest.raises((ValueError, KeyError, RuntimeError)):
        opt.load_state_dict(checkpoint["optimizer"])
    _assert_same(before, _snapshot(model, opt))


def test_a_good_checkpoint_restores_exactly(tmp_path):
    model, opt, X, y = _setup()
    _train(model, opt, X, y, 3)
    saved = _snapshot(model, opt)
    mg.save({"model": model.state_dict(), "optimizer": opt.state_dict()},
            tmp_path / "ckpt.npz")
    _train(model, opt, X, y, 4)
    _restore(model, opt, tmp_path / "ckpt.npz")
    _assert_same(saved, _snapshot(model, opt))


# ------------------------------------------------- non-finite gradients
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_on_nonfinite_refuses_the_step_and_changes_nothing(name, backend, bad):
    for mode in ("raise", "skip"):
        model, opt, X, y = _setup(name, backend, on_nonfinite=mode)
        _train(model, opt, X, y, 2)
        loss = F.cross_entropy(model(mg.Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        victim = list(model.parameters())[-1]
        victim.grad[0] = bad  # one bad element in the last parameter only
        before = _snapshot(model, opt)
        if mode == "raise":
            with pytest.raises(FloatingPointError, match="non-finite"):
                opt.step()
        else:
            opt.step()
            assert opt.skipped_steps == 1
        _assert_same(before, _snapshot(model, opt))
        _train(model, opt, X, y, 1)  # a finite step afterwards goes through
        assert not np.array_equal(before[0]["0.weight"], model.state_dict()["0.weight"])


def test_without_on_nonfinite_a_nan_gradient_does_poison_the_parameters():
    """The contrast that makes the option worth having."""
    model, opt, X, y = _setup("Adam", "numpy")
    _train(model, opt, X, y, 1)
    for p in model.parameters():
        p.grad = np.full_like(p.data, np.nan)
    opt.step()
    assert all(np.isnan(p.data).all() for p in model.parameters())


# --------------------------------------------------- anomaly mode, end to end
def test_anomaly_mode_names_the_op_and_the_line_in_a_training_loop():
    model, opt, X, y = _setup("SGD", "numpy")
    logits = model(mg.Tensor(X))
    with mg.detect_anomaly():
        probabilities = mg.sigmoid(logits * 1e4)  # saturates to exactly 0 and 1
        with pytest.raises(mg.AnomalyError) as info:
            -mg.log(probabilities).mean()  # log(0) = -inf: the culprit
    error = info.value
    assert error.op == "log" and error.phase == "forward"
    assert "test_reliability.py" in error.created_at and "log" in str(error)


def test_anomaly_mode_catches_an_infinite_gradient_in_backward():
    w = nn.Parameter(np.zeros(3, np.float32))
    opt = optim.SGD([w], lr=0.1, backend="numpy")
    with mg.detect_anomaly():
        loss = mg.sqrt(w * w).sum()  # d sqrt(u)/du = inf at u = 0
        with pytest.raises(mg.AnomalyError) as info:
            loss.backward()
    assert info.value.phase == "backward" and info.value.op == "sqrt"
    opt.step()  # w.grad never got the inf: nothing to update, nothing broken
    assert np.array_equal(w.data, np.zeros(3, np.float32))
