"""Checkpoints: ``save(obj, path)`` and ``load(path)`` without pickle.

What can be saved: nested ``dict`` (keys ``str`` or ``int``; dict subclasses such
as ``OrderedDict`` load back as plain ``dict``), ``list``, ``tuple``, NumPy
arrays of any bool/integer/float/complex dtype and any shape (0-d and empty
included), NumPy scalars of those dtypes, and Python ``None``, ``bool``, ``int``,
``float`` (NaN, +-inf and -0.0 included) and ``str``. Integer dict keys stay
integers, so an optimizer's state dict (keyed by parameter index) round-trips.
Anything else -- a Tensor, a class instance, an object or string array -- raises
``TypeError`` naming where in the tree it sits, before any file is touched.

The file is a NumPy ``.npz`` (an uncompressed zip of ``.npy`` members), so
``np.load(path, allow_pickle=False)`` can open it too. Members:

``minigrad_manifest.npy``
    uint8 array holding UTF-8 JSON::

        {"format": "minigrad-checkpoint", "version": 1,
         "tree": <node>,
         "arrays": {"array_0": {"dtype": "<f4", "shape": [3, 2],
                                "sha256": "<hex digest of its C-order bytes>"},
                    ...}}

    A ``<node>`` is ``null``, ``true``/``false``, a JSON string (a ``str``), or
    an object with exactly one key: ``{"int": "0x1f"}`` (hex, any size),
    ``{"float": "0x1.8p+1"}`` (``float.hex``, exact), ``{"list": [nodes]}``,
    ``{"tuple": [nodes]}``, ``{"dict": [[key, node], ...]}`` (insertion order;
    a key is a JSON string or an ``{"int": ...}`` node), ``{"array": "array_0"}``
    (an ndarray) or ``{"scalar": "array_1"}`` (a NumPy scalar, stored 0-d).
``minigrad_checksum.npy``
    uint8 array holding the hex SHA-256 of the manifest's bytes.
``array_<i>.npy``
    the arrays, C order, written with ``allow_pickle=False``.

Loading checks the manifest against its checksum, every array against its
SHA-256, dtype and shape, and reads nothing with pickle, so loading never runs
code and a flipped bit in any stored value, name, shape or structure is
reported. (A flip in zip bookkeeping that holds no content, such as a
timestamp, can go unnoticed -- what is loaded is still verified intact.)
Shared references are not kept: an array that appears twice is stored twice.

Writes are atomic: the file is written to a temporary file in the same
directory (``.<name>.<random>.tmp``), flushed and fsync-ed, renamed over
``path`` with ``os.replace``, and the directory is fsync-ed. A crash at any
moment leaves either the old checkpoint or the new one, never a mix; a
SIGKILL can leave the temporary file behind, which is safe to delete.
``path`` is used exactly as given (no ``.npz`` is appended).

Errors: a file that is missing, truncated, corrupted, foreign (a plain
``.npz``, a text file, a directory) or from a newer format version raises
:class:`CheckpointError` (a ``ValueError``) whose message names the file and
the problem. A missing file raises :class:`CheckpointNotFoundError`, which is
both a ``CheckpointError`` and a ``FileNotFoundError``.

Unlike ``torch.save``/``torch.load``, no arbitrary objects are pickled: save
state dicts, not modules or optimizers.
"""
import errno
import hashlib
import json
import os
import struct
import tempfile
import zipfile

import numpy as np

__all__ = ["save", "load", "CheckpointError", "CheckpointNotFoundError"]

FORMAT_NAME = "minigrad-checkpoint"
FORMAT_VERSION = 1
_MANIFEST = "minigrad_manifest"
_CHECKSUM = "minigrad_checksum"
_ARRAY_KINDS = "biufc"  # bool, signed/unsigned int, float, complex
_MAX_DEPTH = 100  # deeper trees are refused (JSON and recursion limits)
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # same content -> same bytes


class CheckpointError(ValueError):
    """A file that cannot be loaded as a minigrad checkpoint.

    A ``ValueError``: the file's content is a bad input value. The message
    names the file and what is wrong with it.
    """


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (also a ``FileNotFoundError``)."""


# ----------------------------------------------------------------- encoding
def _where(path):
    return "obj" + "".join(f"[{p!r}]" for p in path)


def _sha256(array):
    """SHA-256 of a C-contiguous array's bytes (no copy)."""
    return hashlib.sha256(array.reshape(-1).view(np.uint8)).hexdigest()


class _Encoder:
    """Turns a Python tree into a JSON node tree plus a dict of arrays."""

    def __init__(self):
        self.arrays = {}  # "array_<i>" -> C-contiguous ndarray
        self.on_path = set()  # ids of containers being encoded (cycle check)

    def add_array(self, array, path):
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields:
            raise TypeError(
                f"cannot save {_where(path)}: values of dtype {array.dtype} are "
                "not supported (bool, integer, float or complex only)"
            )
        key = f"array_{len(self.arrays)}"
        self.arrays[key] = np.asarray(array, order="C")
        return key

    def encode(self, obj, path=()):
        if len(path) > _MAX_DEPTH:
            raise ValueError(f"cannot save {_where(path[:3])}...: nested deeper "
                             f"than {_MAX_DEPTH} levels")
        if obj is None or type(obj) in (bool, str):
            return obj
        if type(obj) is int:
            return {"int": hex(obj)}
        if type(obj) is float:
            return {"float": obj.hex()}
        if isinstance(obj, np.generic):
            return {"scalar": self.add_array(np.asarray(obj), path)}
        if isinstance(obj, np.ndarray) and not isinstance(obj, np.ma.MaskedArray):
            return {"array": self.add_array(np.asarray(obj), path)}
        if isinstance(obj, dict) or type(obj) in (list, tuple):
            if id(obj) in self.on_path:
                raise ValueError(f"cannot save {_where(path)}: it contains itself")
            self.on_path.add(id(obj))
            try:
                return self.encode_container(obj, path)
            finally:
                self.on_path.discard(id(obj))
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = " (save its .state_dict() instead)"
        elif not isinstance(obj, np.ndarray) and isinstance(
            getattr(obj, "data", None), np.ndarray
        ):
            hint = " (save its .data array instead)"
        raise TypeError(
            f"cannot save {_where(path)}: objects of type {type(obj).__name__} "
            "are not supported (dict, list, tuple, ndarray, int, float, bool, "
            f"str, None only){hint}"
        )

    def encode_container(self, obj, path):
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                if type(key) is str:
                    encoded_key = key
                elif type(key) is int:
                    encoded_key = {"int": hex(key)}
                else:
                    raise TypeError(
                        f"cannot save {_where(path)}: dict key {key!r} of type "
                        f"{type(key).__name__} is not supported (str or int only)"
                    )
                items.append([encoded_key, self.encode(value, path + (key,))])
            return {"dict": items}
        kind = "list" if type(obj) is list else "tuple"
        return {kind: [self.encode(v, path + (i,)) for i, v in enumerate(obj)]}


def _text_array(text):
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


# ------------------------------------------------------------------- save
def save(obj, path):
    """Write ``obj`` (a nested dict/list of arrays and numbers) to ``path``.

    Atomic: readers see the old file or the complete new one, even if the
    process dies mid-write. Raises ``TypeError`` (naming the place in the
    tree) for unsupported objects, before anything is written.

        >>> mg.save({"model": model.state_dict(), "opt": opt.state_dict()},
        ...         "ckpt.npz")
    """
    path = os.fspath(path)
    encoder = _Encoder()
    tree = encoder.encode(obj)
    manifest = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "tree": tree,
        "arrays": {
            key: {"dtype": a.dtype.str, "shape": list(a.shape), "sha256": _sha256(a)}
            for key, a in encoder.arrays.items()
        },
    }
    manifest_text = json.dumps(manifest, separators=(",", ":"), allow_nan=False)
    members = {
        _MANIFEST: _text_array(manifest_text),
        _CHECKSUM: _text_array(hashlib.sha256(manifest_text.encode()).hexdigest()),
        **encoder.arrays,
    }
    _atomic_write(path, members)


def _atomic_write(path, members):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):  # else the error would name the temp file
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save there: the directory {directory!r} "
            "does not exist", path)
    fd, tmp_path = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as file:
            with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name, array in members.items():
                    info = zipfile.ZipInfo(name + ".npy", date_time=_FIXED_TIME)
                    with zf.open(info, "w", force_zip64=True) as member:
                        np.lib.format.write_array(member, array, allow_pickle=False)
            file.flush()
            _set_mode(file.fileno(), path)
            os.fsync(file.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _set_mode(fd, path):
    """mkstemp makes files only the owner can read; give the checkpoint the
    mode the file it replaces had, or what ``open`` would have given it."""
    if not hasattr(os, "fchmod"):
        return
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.fchmod(fd, mode)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------- load
def load(path):
    """Read a checkpoint written by :func:`save` and return the tree.

    Never unpickles. Raises :class:`CheckpointError` naming the file and the
    problem if it is missing, truncated, corrupted or not a checkpoint.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        error = CheckpointNotFoundError(f"checkpoint file {path!r} does not exist")
        error.errno, error.strerror = errno.ENOENT, "checkpoint file does not exist"
        error.filename = path
        raise error
    if os.path.isdir(path):
        raise CheckpointError(f"{path!r} is a directory, not a checkpoint file")
    try:
        with zipfile.ZipFile(path) as zf:
            return _Reader(zf, path).read()
    except CheckpointError:
        raise
    except zipfile.BadZipFile as exc:
        raise CheckpointError(
            f"{path!r} is not a minigrad checkpoint or is truncated/corrupted "
            f"(not a readable zip archive: {exc})"
        ) from exc
    except OSError as exc:  # the file system, not the content (e.g. permission)
        raise CheckpointError(f"{path!r} cannot be read: {exc}") from exc
    except _CORRUPTION_SIGNS as exc:
        raise CheckpointError(
            f"{path!r} is corrupted: {type(exc).__name__}: {exc}"
        ) from exc


# what zipfile, np.lib.format and json raise on damaged bytes
_CORRUPTION_SIGNS = (ValueError, TypeError, KeyError, IndexError, EOFError,
                     OverflowError, RecursionError, NotImplementedError,
                     struct.error)


class _Reader:
    def __init__(self, zf, path):
        self.zf, self.path = zf, path
        self.members = {i.filename: i for i in zf.infolist()}

    def fail(self, problem):
        raise CheckpointError(f"{self.path!r}: {problem}")

    def read_member(self, name):
        info = self.members.get(name + ".npy")
        if info is None:
            self.fail(f"member {name}.npy is missing (corrupted file)")
        with self.zf.open(info) as fp:
            return np.lib.format.read_array(fp, allow_pickle=False)

    def read(self):
        if _MANIFEST + ".npy" not in self.members:
            names = sorted(self.members)[:5]
            self.fail(f"not a minigrad checkpoint (no {_MANIFEST}.npy member; "
                      f"found {names})")
        manifest_bytes = self.read_member(_MANIFEST).tobytes()
        checksum = self.read_member(_CHECKSUM).tobytes().decode("ascii", "replace")
        if hashlib.sha256(manifest_bytes).hexdigest() != checksum:
            self.fail("the manifest does not match its checksum (corrupted file)")
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            self.fail("not a minigrad checkpoint (unknown manifest format)")
        version = manifest.get("version")
        if version != FORMAT_VERSION:
            self.fail(f"format version {version!r} is not supported; this minigrad "
                      f"reads version {FORMAT_VERSION} (written by another version?)")
        self.specs = manifest.get("arrays")
        if not isinstance(self.specs, dict):
            self.fail("malformed manifest: 'arrays' is not an object")
        return self.decode(manifest.get("tree"), ())

    def load_array(self, key, path):
        spec = self.specs.get(key) if isinstance(key, str) else None
        if not isinstance(spec, dict):
            self.fail(f"malformed manifest at {_where(path)}: unknown array {key!r}")
        info = self.members.get(key + ".npy")
        dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        # check the size before reading: a corrupted header must not make us
        # allocate a huge array
        if info is None or not 0 < info.file_size - nbytes <= 100_000:
            self.fail(f"array {key} at {_where(path)} is missing or has the wrong "
                      "size (truncated or corrupted file)")
        array = self.read_member(key)
        if array.dtype != dtype or array.shape != shape:
            self.fail(f"array {key} at {_where(path)} has dtype {array.dtype} and "
                      f"shape {array.shape}; the manifest says {dtype} {shape}")
        if _sha256(np.asarray(array, order="C")) != spec["sha256"]:
            self.fail(f"array {key} at {_where(path)} does not match its checksum "
                      "(corrupted file)")
        return array

    def decode(self, node, path):
        if len(path) > _MAX_DEPTH:
            self.fail("malformed manifest: tree too deep")
        if node is None or isinstance(node, (bool, str)):
            return node
        if not (isinstance(node, dict) and len(node) == 1):
            self.fail(f"malformed manifest at {_where(path)}: {str(node)[:80]}")
        (kind, value), = node.items()
        if kind == "int" and isinstance(value, str):
            return int(value, 16)
        if kind == "float" and isinstance(value, str):
            return float.fromhex(value)
        if kind == "array":
            return self.load_array(value, path)
        if kind == "scalar":
            return self.load_array(value, path)[()]
        if kind in ("list", "tuple") and isinstance(value, list):
            items = [self.decode(v, path + (i,)) for i, v in enumerate(value)]
            return items if kind == "list" else tuple(items)
        if kind == "dict" and isinstance(value, list):
            result = {}
            for pair in value:
                if not (isinstance(pair, list) and len(pair) == 2):
                    self.fail(f"malformed manifest at {_where(path)}: bad dict item")
                key = self.decode(pair[0], path)
                if type(key) not in (str, int):
                    self.fail(f"malformed manifest at {_where(path)}: bad key")
                result[key] = self.decode(pair[1], path + (key,))
            return result
        self.fail(f"malformed manifest at {_where(path)}: unknown node {kind!r}")
