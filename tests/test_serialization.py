"""Checkpoint format: round trips, clear errors, detection of damage, atomicity.

The crash tests (SIGKILL of a writer process) live in
tests/test_serialization_crash.py.
"""
import json
import math
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import _atomic, serialization
from minigrad.serialization import CheckpointError, CheckpointNotFoundError


# ------------------------------------------------------------------ helpers
def assert_same_tree(a, b, where="obj"):
    """Exact equality: same types, same dtypes/shapes, same bits."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for key in a:
            assert type(key) is type(next(k for k in b if k == key))
            assert_same_tree(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{where}[{i}]")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), where
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        ), f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def sample_state():
    """Something shaped like {model, optimizer, scheduler} state."""
    rng = np.random.default_rng(1)
    return {
        "model": OrderedDict(
            [("0.weight", rng.standard_normal((4, 3)).astype(np.float32)),
             ("0.bias", np.zeros(4, np.float32))]
        ),
        "optimizer": {
            "state": {0: {"step": 3, "exp_avg": np.full((4, 3), 0.5)},
                      1: {"step": np.int64(3), "exp_avg": np.ones(4)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                              "amsgrad": False, "name": None}],
        },
        "scheduler": {"last_epoch": 7, "base_lrs": [0.1]},
        "rng": {"state": 2**127 + 5, "inc": -3},
        "flags": np.array(True),
        "empty": np.empty((0, 5), np.int16),
        "nan": float("nan"), "negzero": -0.0, "inf": float("-inf"),
    }


def flip_bit(path, position, bit=0):
    with open(path, "r+b") as f:
        f.seek(position)
        byte = f.read(1)[0]
        f.seek(position)
        f.write(bytes([byte ^ (1 << bit)]))


# ------------------------------------------------------------- round trips
def test_round_trip_of_a_training_state(tmp_path):
    state = sample_state()
    mg.save(state, tmp_path / "ckpt.npz")
    loaded = mg.load(tmp_path / "ckpt.npz")
    expected = dict(state, model=dict(state["model"]))  # OrderedDict -> dict
    assert_same_tree(expected, loaded)
    # integer keys of an optimizer's state stay integers
    assert list(loaded["optimizer"]["state"]) == [0, 1]


def test_writes_are_deterministic_and_readable_by_numpy(tmp_path):
    mg.save(sample_state(), tmp_path / "a")
    mg.save(sample_state(), tmp_path / "b")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert not (tmp_path / "a.npz").exists()  # the path is used as given
    with np.load(tmp_path / "a", allow_pickle=False) as npz:
        manifest = json.loads(npz["minigrad_manifest"].tobytes())
    assert manifest["format"] == "minigrad-checkpoint" and manifest["version"] == 1


_keys = st.one_of(st.text(max_size=8), st.integers(-(2**70), 2**70))
_array_dtypes = st.one_of(
    hnp.boolean_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
    hnp.floating_dtypes(), hnp.complex_number_dtypes(),
)
_arrays = hnp.arrays(
    _array_dtypes, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
)
_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10),
    _arrays, _arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()]),
)
_trees = st.recursive(
    _leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(_keys, children, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees)
def test_round_trip_of_any_supported_tree(tree):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "tree.ckpt")
        mg.save(tree, path)
        assert_same_tree(tree, mg.load(path))
        assert os.listdir(directory) == ["tree.ckpt"]  # no temporary left


# ---------------------------------------------------- unsupported objects
class Thing:
    pass


@pytest.mark.parametrize(
    "obj, where",
    [
        ({"a": [1, Thing()]}, "obj['a'][1]"),
        ({"w": np.array([None, 1], dtype=object)}, "obj['w']"),
        ({"s": np.array(["text"])}, "obj['s']"),
        ({(1, 2): 3}, "obj"),
        ({1.5: 3}, "obj"),
        ([{"x": {1, 2}}], "obj[0]['x']"),
    ],
)
def test_unsupported_objects_raise_type_error_naming_the_place(tmp_path, obj, where):
    path = tmp_path / "ckpt.npz"
    mg.save({"old": 1}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError) as info:
        mg.save(obj, path)
    assert where in str(info.value)
    assert path.read_bytes() == before  # nothing was written
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_a_tensor_is_refused_with_a_hint(tmp_path):
    pytest.importorskip("minigrad.tensor")
    with pytest.raises(TypeError, match=r"obj\['opt'\]\[0\]\['t'\].*\.data"):
        mg.save({"opt": {0: {"t": mg.Tensor([1.0])}}}, tmp_path / "x")


def test_a_tree_that_contains_itself_is_refused(tmp_path):
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        mg.save(loop, tmp_path / "x")
    shared = np.ones(3)  # shared, not cyclic: fine, stored once
    mg.save([shared, shared], tmp_path / "x")
    loaded = mg.load(tmp_path / "x")
    assert_same_tree([shared, shared], loaded)
    assert loaded[0] is loaded[1]


# ------------------------------------------------------- foreign / missing
def test_missing_file(tmp_path):
    path = tmp_path / "nope.npz"
    with pytest.raises(CheckpointNotFoundError, match="nope.npz"):
        mg.load(path)
    with pytest.raises(FileNotFoundError):  # also the usual OSError
        mg.load(path)
    assert issubclass(CheckpointError, ValueError)


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda p: p.mkdir(), "directory"),
        (lambda p: p.write_text("epoch 3, loss 0.1\n"), "not a minigrad checkpoint"),
        (lambda p: p.write_bytes(b""), "not a minigrad checkpoint"),
        (lambda p: np.savez(p.open("wb"), w=np.ones(3)), "no minigrad_manifest"),
        (lambda p: np.save(p.open("wb"), np.ones(3)), "not a minigrad checkpoint"),
    ],
    ids=["directory", "text", "empty", "plain-npz", "plain-npy"],
)
def test_foreign_files_raise_naming_file_and_problem(tmp_path, make, problem):
    path = tmp_path / "foreign.npz"
    make(path)
    with pytest.raises(CheckpointError) as info:
        mg.load(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def _write_with_manifest(path, manifest):
    """A hand-made checkpoint whose manifest has a valid checksum."""
    import hashlib

    text = json.dumps(manifest).encode()
    digest = hashlib.sha256(text).hexdigest().encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in (("minigrad_manifest", text), ("minigrad_checksum", digest)):
            with zf.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, np.frombuffer(data, np.uint8))


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    _write_with_manifest(
        path,
        {"format": "minigrad-checkpoint", "version": 2, "tree": None, "arrays": {}},
    )
    with pytest.raises(CheckpointError, match="version 2 is not supported"):
        mg.load(path)


def test_manifest_pointing_at_a_missing_or_huge_array_is_refused(tmp_path):
    path = tmp_path / "crafted.npz"
    spec = {"dtype": "<f8", "shape": [10**6, 10**6], "sha256": "0"}
    _write_with_manifest(path, {
        "format": "minigrad-checkpoint", "version": 1,
        "tree": {"array": "array_0"}, "arrays": {"array_0": spec},
    })
    with pytest.raises(CheckpointError, match="wrong size"):
        mg.load(path)  # and no attempt to allocate 8 TB


# ---------------------------------------------------------------- damage
@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    state = sample_state()
    mg.save(state, path)
    return path, mg.load(path)


def test_every_truncation_is_detected(checkpoint):
    path, _ = checkpoint
    data = path.read_bytes()
    cut = path.with_name("cut.npz")
    for length in range(0, len(data), 7):
        cut.write_bytes(data[:length])
        with pytest.raises(CheckpointError, match="cut.npz"):
            mg.load(cut)


def test_bit_flips_anywhere_are_detected_or_harmless(checkpoint):
    """Damaged bytes raise CheckpointError, or (zip bookkeeping such as a
    timestamp) load back exactly the saved content: never a wrong value."""
    path, original = checkpoint
    data = path.read_bytes()
    damaged = path.with_name("damaged.npz")
    rng = np.random.default_rng(0)
    detected = 0
    for position in rng.choice(len(data), size=min(len(data), 600), replace=False):
        damaged.write_bytes(data)
        flip_bit(damaged, int(position), int(rng.integers(8)))
        try:
            loaded = mg.load(damaged)
        except CheckpointError as error:
            assert "damaged.npz" in str(error)
            detected += 1
            continue
        assert_same_tree(original, loaded)
    assert detected > 0.8 * min(len(data), 600)


def _offsets(data, needle):
    start = data.find(needle)
    assert start >= 0 and data.find(needle, start + 1) < 0
    return range(start, start + len(needle))


def test_every_flip_in_array_data_or_manifest_is_detected(tmp_path):
    path = tmp_path / "ckpt.npz"
    weights = np.arange(64, dtype=np.float64) + 0.25
    mg.save({"weights": weights, "lr": 0.125}, path)
    data = path.read_bytes()
    manifest = json.dumps(json.loads(np.load(path)["minigrad_manifest"].tobytes()),
                          separators=(",", ":")).encode()
    targets = list(_offsets(data, weights.tobytes())) + list(_offsets(data, manifest))
    for position in targets[::3]:
        path.write_bytes(data)
        flip_bit(path, position, position % 8)
        with pytest.raises(CheckpointError):
            mg.load(path)


# ------------------------------------------------------------- atomicity
@pytest.mark.parametrize("fail_in", ["write_array", "replace", "interrupt"])
def test_failed_write_keeps_the_old_checkpoint(tmp_path, monkeypatch, fail_in):
    path = tmp_path / "ckpt.npz"
    mg.save({"step": 1, "w": np.ones(1000)}, path)
    before = path.read_bytes()
    real_write = np.lib.format.write_array
    calls = []

    def failing_write(fp, array, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # after the manifest and checksum, mid-arrays
            raise KeyboardInterrupt if fail_in == "interrupt" else OSError("disk full")
        return real_write(fp, array, **kwargs)

    def failing_replace(src, dst):
        raise OSError("power cut")

    if fail_in == "replace":
        monkeypatch.setattr(serialization.os, "replace", failing_replace)
    else:
        monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises((OSError, KeyboardInterrupt)):
        mg.save({"step": 2, "w": np.zeros(1000), "v": np.zeros(5)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file is gone
    assert mg.load(path)["step"] == 1


@pytest.mark.skipif(os.name != "posix", reason="asks POSIX whether a pid lives")
def test_save_removes_temporaries_of_dead_writers_only(tmp_path):
    import subprocess
    import sys

    host = _atomic._host()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid now names no process (a reuse this fast is rare)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            "dead": f".ck.{child.pid}.{host}.abcd1234.tmp",
            "live": f".ck.{sleeper.pid}.{host}.abcd1234.tmp",
            "mine": f".ck.{os.getpid()}.{host}.x_9.tmp",
            "other host": f".ck.{child.pid}.{host}x.abcd1234.tmp",
            "old form": ".ck.abcd1234.tmp",
            "other file": f".ck2.{child.pid}.{host}.abcd1234.tmp",
            "not a temporary": f".ck.{child.pid}.{host}.abcd1234.tmp.keep",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"partial")
        mg.save({"a": 1}, tmp_path / "ck")
        left = set(os.listdir(tmp_path))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert left == {"ck"} | set(names.values()) - {names["dead"]}
    assert mg.load(tmp_path / "ck") == {"a": 1}


def test_temporary_names_carry_pid_and_host(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    mg.save({"a": 1}, tmp_path / "run.ck")
    prefix = f".run.ck.{os.getpid()}.{_atomic._host()}."
    assert seen[0].startswith(prefix) and seen[0].endswith(".tmp")
    assert _atomic._TEMPORARY.fullmatch(seen[0][len(".run.ck."):])


def test_save_onto_a_directory_names_the_users_path(tmp_path):
    (tmp_path / "runs").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory") as caught:
        mg.save({"a": 1}, tmp_path / "runs")
    assert caught.value.filename == str(tmp_path / "runs")  # not a temp file
    assert os.listdir(tmp_path) == ["runs"] and os.listdir(tmp_path / "runs") == []


def test_save_into_a_missing_directory_raises_file_not_found(tmp_path):
    path = tmp_path / "no" / "such" / "dir.npz"
    with pytest.raises(FileNotFoundError, match="directory .* does not exist") \
            as caught:
        mg.save({"a": 1}, path)
    assert caught.value.filename == str(path)  # the user's path, not a temp file
    assert list(tmp_path.iterdir()) == []


def _rewrite_member(path, name, transform):
    """Replace one member's bytes with a valid zip around them (correct
    CRC-32), as a buggy writer or a careless edit would: only minigrad's own
    checksums can tell."""
    with zipfile.ZipFile(path) as zf:
        members = [(info.filename, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for filename, data in members:
            zf.writestr(filename, transform(data) if filename == name else data)


def test_content_changed_behind_the_zip_checksums_is_detected(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"w": np.arange(8.0), "lr": 0.5}, path)
    pristine = path.read_bytes()

    def bump_last_value(data):
        return data[:-8] + np.float64(99.0).tobytes()

    _rewrite_member(path, "array_0.npy", bump_last_value)
    with pytest.raises(CheckpointError, match=r"array_0 at obj\['w'\].*checksum"):
        mg.load(path)

    path.write_bytes(pristine)
    _rewrite_member(path, "minigrad_manifest.npy",
                    lambda data: data.replace(b"0x1.0000000000000p-1",
                                              b"0x1.0000000000000p+1"))
    with pytest.raises(CheckpointError, match="manifest does not match"):
        mg.load(path)


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX file modes")
def test_file_mode_is_that_of_a_normal_file_or_the_replaced_one(tmp_path):
    umask = os.umask(0o022)
    try:
        mg.save({"a": 1}, tmp_path / "new.npz")
        assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "new.npz", 0o600)
        mg.save({"a": 2}, tmp_path / "new.npz")
        assert (tmp_path / "new.npz").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_absurdly_deep_trees_are_refused_clearly(tmp_path):
    deep = 1
    for _ in range(100):
        deep = [deep]
    mg.save(deep, tmp_path / "ok")  # 100 levels: fine
    assert_same_tree(deep, mg.load(tmp_path / "ok"))
    with pytest.raises(ValueError, match="nested deeper than 100"):
        mg.save([deep], tmp_path / "too-deep")
