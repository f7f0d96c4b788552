"""Toy data generators and the DataLoader."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (DataLoader, make_blobs, make_circles, make_moons,
                           make_spirals, make_xor)

GENERATORS = {
    "moons": (make_moons, {}, 2),
    "circles": (make_circles, {}, 2),
    "circles4": (make_circles, {"n_classes": 4}, 4),
    "spirals": (make_spirals, {}, 3),
    "spirals5": (make_spirals, {"n_arms": 5}, 5),
    "xor": (make_xor, {}, 2),
    "blobs": (make_blobs, {"centers": 4}, 4),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_shapes_dtypes_and_balanced_labels(name):
    make, kwargs, n_classes = GENERATORS[name]
    X, y = make(103, seed=1, **kwargs)
    assert X.shape == (103, 2) and X.dtype == mg.get_default_dtype()
    assert y.shape == (103,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes
    assert counts.max() - counts.min() <= 1  # split as evenly as possible
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_other_seed_other_data(name):
    make, kwargs, _ = GENERATORS[name]
    X1, y1 = make(50, noise=0.1, seed=7, **kwargs)
    X2, y2 = make(50, noise=0.1, seed=7, **kwargs)
    X3, _ = make(50, noise=0.1, seed=8, **kwargs)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


def test_seed_none_follows_manual_seed():
    mg.manual_seed(3)
    X1, _ = make_moons(40)
    mg.manual_seed(3)
    X2, _ = make_moons(40)
    np.testing.assert_array_equal(X1, X2)


def test_float64_default_dtype_is_followed():
    mg.set_default_dtype(np.float64)
    X, _ = make_spirals(30, seed=0)
    assert X.dtype == np.float64


def test_noise_free_geometry():
    X, y = make_moons(200, noise=0.0, seed=0)
    upper = X[y == 0]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, rtol=1e-6)
    lower = X[y == 1]
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0,
                               rtol=1e-6)

    X, y = make_circles(200, noise=0.0, factor=0.3, n_classes=3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    for k, r in enumerate([1.0, 0.65, 0.3]):
        np.testing.assert_allclose(radius[y == k], r, rtol=1e-6)

    X, y = make_xor(400, noise=0.0, seed=0)
    assert np.all(np.abs(X) <= 1)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(np.int64))

    X, y = make_spirals(300, noise=0.0, n_arms=3, seed=0)
    assert np.hypot(X[:, 0], X[:, 1]).max() == pytest.approx(1.0, rel=1e-6)


def test_blobs_with_explicit_centers_and_features():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = make_blobs(400, noise=0.5, centers=centers, seed=0)
    assert X.shape == (400, 3)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.15)
        assert X[y == k].std(axis=0) == pytest.approx([0.5] * 3, rel=0.2)
    X, _ = make_blobs(20, centers=3, n_features=5, seed=0)
    assert X.shape == (20, 5)


def test_spirals_n_classes_alias():
    X1, y1 = make_spirals(60, n_classes=4, seed=2)
    X2, y2 = make_spirals(60, n_arms=4, seed=2)
    np.testing.assert_array_equal(X1, X2)
    assert y1.max() == 3
    with pytest.raises(ValueError, match="disagree"):
        make_spirals(60, n_arms=4, n_classes=5)


@pytest.mark.parametrize("call, error, match", [
    (lambda: make_moons(0), ValueError, "n_samples"),
    (lambda: make_moons(-5), ValueError, "n_samples"),
    (lambda: make_moons(10.5), TypeError, "n_samples"),
    (lambda: make_moons(True), TypeError, "n_samples"),
    (lambda: make_moons(1), ValueError, "every class"),
    (lambda: make_moons(10, noise=-0.1), ValueError, "noise"),
    (lambda: make_moons(10, noise=float("nan")), ValueError, "noise"),
    (lambda: make_moons(10, noise="lots"), TypeError, "noise"),
    (lambda: make_moons(10, seed=-1), ValueError, "seed"),
    (lambda: make_moons(10, seed=1.5), TypeError, "seed"),
    (lambda: make_circles(10, factor=1.0), ValueError, "factor"),
    (lambda: make_circles(10, n_classes=1), ValueError, "n_classes"),
    (lambda: make_spirals(10, n_arms=1), ValueError, "n_classes"),
    (lambda: make_spirals(10, turns=0), ValueError, "turns"),
    (lambda: make_blobs(10, centers=1), ValueError, "centers"),
    (lambda: make_blobs(10, centers=np.ones(3)), ValueError, "centers"),
    (lambda: make_blobs(10, centers=[[0, np.inf], [1, 1]]), ValueError, "finite"),
    (lambda: make_blobs(10, center_box=(1, 0)), ValueError, "center_box"),
    (lambda: make_blobs(10, center_box=5), ValueError, "center_box"),
    (lambda: make_blobs(10, centers=[[0, 1], [2]]), ValueError, "centers"),
])
def test_bad_generator_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- DataLoader ----------------------------------------------------------------
def small_data(n=10):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return X, y


def epoch_rows(loader):
    """Row ids (the y values) of each batch of one epoch."""
    return [yb.numpy().tolist() for _, yb in loader]


def test_batches_cover_every_row_once_with_partial_last_batch():
    X, y = small_data(10)
    loader = DataLoader(X, y, batch_size=4, shuffle=True, seed=0)
    assert len(loader) == 3
    batches = list(loader)
    assert [len(yb.numpy()) for _, yb in batches] == [4, 4, 2]
    rows = np.concatenate([yb.numpy() for _, yb in batches])
    assert sorted(rows) == list(range(10))
    for xb, yb in batches:  # features travel with their labels
        assert isinstance(xb, mg.Tensor) and isinstance(yb, mg.Tensor)
        np.testing.assert_array_equal(xb.numpy(), X[yb.numpy()])
        assert xb.dtype == np.float32 and yb.dtype == np.int64
        assert not xb.requires_grad


def test_drop_last_and_no_shuffle():
    X, y = small_data(10)
    loader = DataLoader(X, y, batch_size=4, shuffle=False, drop_last=True)
    assert len(loader) == 2
    assert epoch_rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert epoch_rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_is_seeded_and_changes_every_epoch():
    X, y = small_data(20)
    a = DataLoader(X, y, batch_size=5, seed=11)
    b = DataLoader(X, y, batch_size=5, seed=11)
    first_a, second_a = epoch_rows(a), epoch_rows(a)
    assert first_a == epoch_rows(b)
    assert second_a == epoch_rows(b)
    assert first_a != second_a
    assert epoch_rows(DataLoader(X, y, batch_size=5, seed=12)) != first_a
    mg.manual_seed(5)
    c = epoch_rows(DataLoader(X, y, batch_size=5))
    mg.manual_seed(5)
    assert epoch_rows(DataLoader(X, y, batch_size=5)) == c


def test_batches_are_copies():
    X, y = small_data(6)
    for xb, _ in DataLoader(X, y, batch_size=3, shuffle=False):
        xb.data[...] = -1
    assert X.min() == 0


@pytest.mark.parametrize("stop_after", [0, 1, 3, 5])
def test_state_dict_resumes_the_exact_batch_order(stop_after):
    """Training checkpoints after a batch of epoch 1 and 'crashes'; a new loader
    loaded from the saved state yields what the uninterrupted one would have."""
    X, y = small_data(23)
    reference = DataLoader(X, y, batch_size=4, seed=3)
    expected = [epoch_rows(reference) for _ in range(3)]

    run = DataLoader(X, y, batch_size=4, seed=3)
    seen = epoch_rows(run)  # epoch 0
    partial = []
    for i, (_, yb) in enumerate(run):  # epoch 1, interrupted
        partial.append(yb.numpy().tolist())  # "train on it"
        if i == stop_after:
            state = run.state_dict()  # checkpoint, then crash
            break

    resumed = DataLoader(X, y, batch_size=4, seed=99)  # seed comes from state
    resumed.load_state_dict(state)
    rest = epoch_rows(resumed)
    assert [seen, partial + rest, epoch_rows(resumed)] == expected


def test_state_dict_at_epoch_boundary_and_with_mg_save(tmp_path):
    X, y = small_data(9)
    loader = DataLoader(X, y, batch_size=4, seed=1)
    epoch_rows(loader)
    mg.save({"loader": loader.state_dict()}, tmp_path / "ckpt.npz")
    expected = epoch_rows(loader)
    fresh = DataLoader(X, y, batch_size=4, seed=0)
    fresh.load_state_dict(mg.load(tmp_path / "ckpt.npz")["loader"])
    assert epoch_rows(fresh) == expected


def test_leaving_a_loop_early_starts_the_next_epoch():
    X, y = small_data(12)
    loader = DataLoader(X, y, batch_size=4, seed=0)
    twin = DataLoader(X, y, batch_size=4, seed=0)
    for _ in loader:
        break
    assert loader.epoch == 1
    epoch_rows(twin)
    assert epoch_rows(loader) == epoch_rows(twin)


def test_bad_state_changes_nothing():
    X, y = small_data(12)
    loader = DataLoader(X, y, batch_size=4, seed=0)
    good = loader.state_dict()
    for bad in [{"seed": 1}, dict(good, batch=7), dict(good, epoch=-1),
                dict(good, shuffle=False), dict(good, extra=0), "state",
                dict(good, batch_size=3), dict(good, n_samples=13)]:
        with pytest.raises((KeyError, ValueError, TypeError)):
            loader.load_state_dict(bad)
        assert loader.state_dict() == good


@pytest.mark.parametrize("kwargs, error, match", [
    ({"X": np.zeros((0, 2), np.float32), "y": np.zeros(0, np.int64)},
     ValueError, "empty"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": -3}, ValueError, "batch_size"),
    ({"batch_size": 2.0}, TypeError, "batch_size"),
    ({"y": np.arange(9)}, ValueError, "same number of rows"),
    ({"X": np.zeros((10, 2), np.float16)}, TypeError, "float16"),
    ({"X": np.zeros((10, 2), np.complex64)}, TypeError, "complex"),
    ({"X": np.zeros((10, 2), object)}, TypeError, "object"),
    ({"X": np.zeros((10, 2), np.int64)}, TypeError, "int64"),
    ({"y": np.array(["a"] * 10)}, TypeError, "y must"),
    ({"X": np.float32(1.0)}, ValueError, "scalar"),
    ({"seed": -1}, ValueError, "seed"),
    ({"shuffle": "yes"}, TypeError, "shuffle"),
    ({"batch_size": 20, "drop_last": True}, ValueError, "no batch"),
])
def test_bad_loader_arguments(kwargs, error, match):
    X, y = small_data(10)
    args = {"X": X, "y": y, "batch_size": 4, **kwargs}
    with pytest.raises(error, match=match):
        DataLoader(args.pop("X"), args.pop("y"), **args)


def test_accepts_tensors_and_float_targets():
    X, y = small_data(6)
    loader = DataLoader(mg.Tensor(X), mg.Tensor(y.astype(np.float64)),
                        batch_size=6, shuffle=False)
    xb, yb = next(iter(loader))
    np.testing.assert_array_equal(xb.numpy(), X)
    assert yb.dtype == np.float64
