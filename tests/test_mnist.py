"""IDX files, MNIST/FashionMNIST from a directory, the downloader (against a
file server on 127.0.0.1 serving generated IDX files: never the network),
and the bundled digits."""
import gzip
import hashlib
import http.server
import os
import threading
from functools import partial

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (MNIST, DataLoader, FashionMNIST, IDXError,
                           load_digits, read_idx, save_idx_dataset, write_idx)


# ---- the IDX format ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32,
                                   np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trip(dtype, name, tmp_path, rng):
    array = (rng.standard_normal((3, 4, 5)) * 50).astype(dtype)
    write_idx(tmp_path / name, array)
    back = read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype) and np.array_equal(back, array)
    assert os.listdir(tmp_path) == [name]  # no temporary left


def test_idx_bytes_are_the_published_layout(tmp_path):
    """Header 00 00 08 03, sizes as big-endian uint32, then the data."""
    write_idx(tmp_path / "x", np.arange(6, dtype=np.uint8).reshape(1, 2, 3))
    raw = (tmp_path / "x").read_bytes()
    assert raw == bytes([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3,
                         0, 1, 2, 3, 4, 5])
    write_idx(tmp_path / "y", np.array([1], dtype=np.int16))
    assert (tmp_path / "y").read_bytes() == bytes([0, 0, 0x0B, 1, 0, 0, 0, 1,
                                                   0, 1])


@pytest.mark.parametrize("raw,match", [
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "not an IDX file"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "not an IDX file"),
    (b"\x00\x00\x08\x02\x00\x00", "ends inside them"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05", "declares shape"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "holds more"),
    (b"\x00\x00\x08\x02\xff\xff\xff\xff\xff\xff\xff\xff", "max_bytes"),
    (b"\x00", "not an IDX file"),
])
def test_malformed_idx_files_are_refused_before_allocating(raw, match, tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(raw)
    with pytest.raises(IDXError, match=match):
        read_idx(path)


def test_a_gzip_bomb_header_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as f:  # declares 4 GB, holds a few bytes
        f.write(b"\x00\x00\x08\x02\x00\x01\x00\x00\x00\x01\x00\x00" + b"\0" * 64)
    with pytest.raises(IDXError, match="max_bytes"):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(IDXError, match="cannot read"):
        read_idx(path)


def test_write_idx_refuses_unknown_dtypes(tmp_path):
    with pytest.raises(TypeError, match="IDX stores"):
        write_idx(tmp_path / "x", np.zeros(2, np.int64))


# ---- MNIST from a directory --------------------------------------------------------
def fake_split(rng, n, size=6):
    return (rng.integers(0, 256, (n, size, size)).astype(np.uint8),
            rng.integers(0, 10, n).astype(np.uint8))


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("layout", ["flat", "torchvision"])
def test_mnist_reads_a_directory(gz, layout, tmp_path, rng):
    train, test = fake_split(rng, 12), fake_split(rng, 5)
    folder = tmp_path if layout == "flat" else tmp_path / "MNIST" / "raw"
    save_idx_dataset(folder, train, test, gz=gz)
    ds = MNIST(tmp_path)
    assert len(ds) == 12 and np.array_equal(ds.data, train[0])
    assert ds.targets.dtype == np.int64 and np.array_equal(ds.targets, train[1])
    image, label = ds[3]
    assert np.array_equal(image, train[0][3]) and label == train[1][3]
    X, y = MNIST(tmp_path, train=False).arrays()
    assert X.shape == (5, 36) and X.dtype == np.float32
    np.testing.assert_allclose(X, test[0].reshape(5, -1) / 255.0, rtol=1e-6)
    assert 0 <= X.min() and X.max() <= 1
    xb, yb = next(iter(DataLoader(X, y, batch_size=4, shuffle=False)))
    assert xb.shape == (4, 36) and np.array_equal(yb.data, test[1][:4])
    assert MNIST(tmp_path).arrays(flatten=False)[0].shape == (12, 6, 6)


def test_missing_files_say_where_they_were_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        FashionMNIST(tmp_path)


def test_mismatched_images_and_labels_are_refused(tmp_path, rng):
    images, _ = fake_split(rng, 4)
    save_idx_dataset(tmp_path, (images, np.zeros(3, np.uint8)),
                     fake_split(rng, 2))
    with pytest.raises(IDXError, match="do not pair up"):
        MNIST(tmp_path)


# ---- the downloader, against a local server ------------------------------------------
class Served:
    """Generated gzipped IDX files behind http://127.0.0.1:<port>/, counting
    the requests."""

    def __init__(self, folder, rng):
        self.folder = folder
        self.train, self.test = fake_split(rng, 10), fake_split(rng, 4)
        save_idx_dataset(folder, self.train, self.test, gz=True)
        self.md5 = {name: hashlib.md5((folder / name).read_bytes()).hexdigest()
                    for name in os.listdir(folder)}
        self.requests = []
        served = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                served.requests.append(self.path)
                super().do_GET()

        handler = partial(Handler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def served(tmp_path, rng):
    folder = tmp_path / "server"
    folder.mkdir()
    s = Served(folder, rng)
    yield s
    s.close()


def local_dataset(served, base=MNIST, mirrors=None, md5=None):
    return type("Local" + base.__name__, (base,), {
        "resources": md5 or served.md5,
        "mirrors": mirrors or [served.url]})


def test_download_fetches_checks_and_caches(served, tmp_path):
    Local = local_dataset(served)
    root = tmp_path / "cache"
    ds = Local(root, download=True)
    assert np.array_equal(ds.data, served.train[0])
    assert np.array_equal(Local(root, train=False, download=True).targets,
                          served.test[1])
    assert sorted(served.requests) == sorted("/" + n for n in served.md5)
    assert sorted(os.listdir(root)) == sorted(served.md5)  # no partial files
    Local(root, download=True)
    assert len(served.requests) == 4  # cached: nothing fetched again


def test_a_checksum_mismatch_keeps_nothing(served, tmp_path):
    wrong = dict(served.md5)
    wrong["train-images-idx3-ubyte.gz"] = "0" * 32
    root = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        local_dataset(served, md5=wrong)(root, download=True)
    assert "train-images-idx3-ubyte.gz" not in os.listdir(root)
    assert not [n for n in os.listdir(root) if ".part" in n]


def test_a_corrupted_cached_file_is_fetched_again(served, tmp_path):
    Local = local_dataset(served, base=FashionMNIST)
    root = tmp_path / "cache"
    Local(root, download=True)
    (root / "train-labels-idx1-ubyte.gz").write_bytes(b"corrupt")
    Local(root, download=True)
    assert served.requests.count("/train-labels-idx1-ubyte.gz") == 2
    assert np.array_equal(Local(root).targets, served.train[1])


def test_the_next_mirror_is_tried_when_one_fails(served, tmp_path):
    dead = "http://127.0.0.1:9/"  # the discard port: nothing listens
    Local = local_dataset(served, mirrors=[dead, served.url])
    assert len(Local(tmp_path / "c", download=True)) == 10


def test_the_default_cache_directory_follows_xdg(monkeypatch, tmp_path, served):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    ds = local_dataset(served)(download=True)
    assert ds.root == str(tmp_path / "xdg" / "minigrad" / "LocalMNIST")


def test_published_checksums_are_well_formed():
    for cls in (MNIST, FashionMNIST):
        assert len(cls.resources) == 4 and len(cls.classes) == 10
        assert all(len(md5) == 32 and int(md5, 16) >= 0
                   for md5 in cls.resources.values())


# ---- the bundled digits -------------------------------------------------------------
def test_load_digits_reads_the_bundled_set():
    pytest.importorskip("sklearn")
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and set(labels) == set(range(10))
    assert images.max() == 16


def test_digits_through_idx_files_train_a_cs231n_net(tmp_path):
    """The example's path, small: digits -> IDX files -> MNIST -> a net with
    batchnorm and dropout that beats chance by far on held-out digits."""
    pytest.importorskip("sklearn")
    from minigrad import nn, optim
    from minigrad.nn import F

    images, labels = load_digits()
    save_idx_dataset(tmp_path, (images[:1400], labels[:1400]),
                     (images[1400:], labels[1400:]))
    X, y = MNIST(tmp_path).arrays()
    Xt, yt = MNIST(tmp_path, train=False).arrays()
    assert X.max() <= 16 / 255 + 1e-6  # the reader scales by the dtype's max
    mg.manual_seed(0)
    model = nn.MLP([64, 64, 64, 10], norm="batch", dropout=0.1)
    opt = optim.Adam(model.parameters(), lr=0.01, backend="numpy")
    for _ in range(5):
        for xb, yb in DataLoader(X, y, batch_size=64, seed=0):
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    model.eval()
    accuracy = (model(mg.Tensor(Xt)).data.argmax(1) == yt).mean()
    assert accuracy > 0.8  # chance is 0.1
