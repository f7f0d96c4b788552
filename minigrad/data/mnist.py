"""Real data: MNIST and Fashion-MNIST from IDX files (optionally downloaded
once to a cache, checksum checked), and scikit-learn's bundled 8x8 digits.

    >>> from minigrad.data import MNIST, DataLoader
    >>> train = MNIST("~/data/mnist", train=True)        # doctest: +SKIP
    >>> X, y = train.arrays()          # (60000, 784) float32 in [0, 1], int64
    >>> loader = DataLoader(X, y, batch_size=128)        # doctest: +SKIP

The reader looks for the four standard files (``train-images-idx3-ubyte``,
``train-labels-idx1-ubyte``, ``t10k-...``), plain or ``.gz``, in ``root`` and
in ``root/<Name>/raw`` (torchvision's layout, so an existing download is
found). Any IDX files of that layout work: ``save_idx_dataset`` writes
arrays that way, e.g. the digits for the example.
"""
import hashlib
import os

import numpy as np

from .idx import IDXError, read_idx, write_idx


def _cache_root(name):
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minigrad", name)


def _md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url, path, md5, timeout=60):
    """Fetch ``url`` to ``path`` unless a file with checksum ``md5`` is
    there. The bytes go to a temporary file that is renamed into place only
    once its MD5 matches, so a failed or corrupted download leaves nothing
    behind; a mismatch raises ``IDXError`` naming the url and both sums."""
    import urllib.request  # here: it is slow to import, and rarely needed

    if os.path.exists(path) and _md5(path) == md5:
        return path
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}.part{os.getpid()}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, \
                open(tmp, "wb") as f:
            for block in iter(lambda: response.read(1 << 20), b""):
                f.write(block)
        got = _md5(tmp)
        if got != md5:
            raise IDXError(f"{url}: checksum mismatch (MD5 {got}, expected {md5}); "
                           f"the file was not kept")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


class MNIST:
    """The MNIST handwritten digits (LeCun et al. 1998): 60,000 training and
    10,000 test images, 28x28 uint8, labels 0-9.

    ``MNIST(root=None, train=True, download=False)``: read the IDX files
    from ``root`` (default: a cache directory, ``$XDG_CACHE_HOME`` or
    ``~/.cache``, under ``minigrad/<Name>``). With ``download=True`` missing
    files (and files whose checksum is wrong) are fetched from ``mirrors``
    (tried in order) and checked against ``resources``' MD5 sums (the
    published ones). ``data`` (N, H, W) uint8,
    ``targets`` (N,) int64; ``len``, indexing, and ``arrays()`` for the
    ``DataLoader``. PyTorch's torchvision returns transformed tensors instead.
    """

    resources = {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/"]
    classes = [str(i) for i in range(10)]

    def __init__(self, root=None, train=True, download=False):
        name = type(self).__name__
        self.root = os.path.expanduser(root) if root is not None else \
            _cache_root(name)
        self.train = bool(train)
        split = "train" if self.train else "t10k"
        images, labels = f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"
        if download:  # fetches only what is missing or fails its checksum
            self.download()
        paths = [self._find(stem) for stem in (images, labels)]
        if None in paths:
            raise FileNotFoundError(
                f"{name}: no {images}[.gz] and {labels}[.gz] in {self.root} or "
                f"{os.path.join(self.root, name, 'raw')}; pass download=True "
                f"or put the IDX files there")
        self.data = read_idx(paths[0])
        self.targets = read_idx(paths[1]).astype(np.int64)
        if self.data.ndim != 3 or self.targets.shape != (len(self.data),):
            raise IDXError(f"{name}: images of shape {self.data.shape} and labels "
                           f"of shape {self.targets.shape} do not pair up")

    def _find(self, stem):
        for folder in (self.root, os.path.join(self.root, type(self).__name__,
                                               "raw")):
            for name in (stem, stem + ".gz"):
                if os.path.isfile(os.path.join(folder, name)):
                    return os.path.join(folder, name)
        return None

    def download(self):
        """Fetch every file of ``resources`` into ``root`` (skipping files
        already there with the right checksum); the first mirror that
        serves a file with the right checksum wins."""
        for name, md5 in self.resources.items():
            errors = []
            for mirror in self.mirrors:
                try:
                    download(mirror + name, os.path.join(self.root, name), md5)
                    break
                except (OSError, IDXError) as err:
                    errors.append(f"{mirror}{name}: {err}")
            else:
                raise RuntimeError(f"could not download {name}:\n  " +
                                   "\n  ".join(errors))

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        return self.data[index], self.targets[index]

    def arrays(self, flatten=True, dtype=np.float32):
        """``(X, y)``: images scaled to [0, 1] in ``dtype`` (rows of H*W
        values with ``flatten``), labels int64 -- what ``DataLoader`` takes."""
        scale = float(np.iinfo(self.data.dtype).max) \
            if self.data.dtype.kind in "iu" else 1.0
        X = self.data.astype(dtype) / dtype(scale)
        return (X.reshape(len(X), -1) if flatten else X), self.targets

    def __repr__(self):
        return (f"{type(self).__name__}(root={self.root!r}, train={self.train}, "
                f"{len(self)} images of {self.data.shape[1:]})")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747): MNIST's
    format and sizes, ten kinds of clothing; everything as ``MNIST``."""

    resources = {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
               "Shirt", "Sneaker", "Bag", "Ankle boot"]


def save_idx_dataset(root, train, test, gz=False):
    """Write ``train = (images, labels)`` and ``test`` as the four MNIST-named
    IDX files in ``root`` (images uint8 (N, H, W), labels uint8 (N,)), so
    ``MNIST(root)`` reads them."""
    os.makedirs(root, exist_ok=True)
    ext = ".gz" if gz else ""
    for split, (images, labels) in (("train", train), ("t10k", test)):
        write_idx(os.path.join(root, f"{split}-images-idx3-ubyte{ext}"),
                  np.asarray(images, np.uint8))
        write_idx(os.path.join(root, f"{split}-labels-idx1-ubyte{ext}"),
                  np.asarray(labels, np.uint8))


def load_digits():
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images from the
    UCI optical-digits set, values 0-16): ``(images uint8 (1797, 8, 8),
    labels int64 (1797,))``. Needs the ``digits`` extra (scikit-learn); the
    data ship inside that package, nothing is downloaded."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn: pip install "
                          "'minigrad[digits]'") from None
    bunch = sklearn_digits()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.int64)
