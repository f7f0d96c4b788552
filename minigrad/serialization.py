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
Shared references are kept: one array object (or NumPy scalar) that appears
several times in the tree is stored once and loads as one array, referenced
from each place.

Loading an untrusted file takes memory in proportion to the file, never more:
every member must be stored uncompressed (``save`` never compresses; a
compressed member is refused, so nothing is inflated), the sizes the zip
declares must add up to no more than the file's real size, every ``.npy``
header must describe exactly its member's size (and each array exactly its
manifest entry) before any data is read, and each stored array is read at
most once however often the tree refers to it. Running out of memory anyway
raises ``CheckpointError``, not ``MemoryError``.

Writes are atomic: the file is written to a temporary file in the same
directory (``.<name>.<pid>.<host>.<random>.tmp``: the writer's process id and
host name), flushed and fsync-ed, renamed over ``path`` with ``os.replace``,
and the directory is fsync-ed. A crash at any moment leaves either the old
checkpoint or the new one, never a mix. A SIGKILL can leave the temporary
file behind; the next successful save to the same ``path`` deletes the ones
whose writer, on this host, is no longer running (POSIX only; a temporary of
a live process, of another host or in the old unnamed form is never touched).
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
import math
import os
import struct
import zipfile

import numpy as np

from ._atomic import write_atomically

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
        self.keys = {}  # id(array or scalar in the tree) -> its "array_<i>"
        self.on_path = set()  # ids of containers being encoded (cycle check)

    def add_array(self, obj, path):
        """Store ``obj`` (an ndarray or NumPy scalar) once; return its key.

        The tree holds ``obj`` alive while we encode, so its ``id`` is a safe
        name for it: a second reference gets the first one's key (aliasing
        survives the round trip)."""
        if id(obj) in self.keys:
            return self.keys[id(obj)]
        array = np.asarray(obj)
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.fields:
            raise TypeError(
                f"cannot save {_where(path)}: values of dtype {array.dtype} are "
                "not supported (bool, integer, float or complex only)"
            )
        key = self.keys[id(obj)] = f"array_{len(self.arrays)}"
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
            return {"scalar": self.add_array(obj, path)}
        if isinstance(obj, np.ndarray) and not isinstance(obj, np.ma.MaskedArray):
            return {"array": self.add_array(obj, path)}
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
    _write_members(path, members)


def _write_members(path, members):
    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, array in members.items():
                info = zipfile.ZipInfo(name + ".npy", date_time=_FIXED_TIME)
                with zf.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    write_atomically(path, write)


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
    except MemoryError as exc:  # sizes are checked first: a real, huge file
        raise CheckpointError(
            f"{path!r}: not enough memory to load this checkpoint "
            f"({os.path.getsize(path)} bytes on disk)") from None
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


def _read_data(fp, dtype, shape, fortran_order):
    """Read an array's bytes from ``fp`` in chunks into one new array, so the
    peak memory is the array itself (plus a 1 MiB chunk)."""
    flat = np.empty(math.prod(shape), dtype)
    buffer, filled = flat.view(np.uint8), 0
    while filled < buffer.size:
        chunk = fp.read(min(1 << 20, buffer.size - filled))
        if not chunk:
            raise EOFError(f"array data ends after {filled} of {buffer.size} bytes")
        buffer[filled:filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
        filled += len(chunk)
    return flat.reshape(shape, order="F" if fortran_order else "C")


class _Reader:
    def __init__(self, zf, path):
        self.zf, self.path = zf, path
        self.members = {i.filename: i for i in zf.infolist()}
        self.loaded = {}  # array key -> the array: each is read once
        self.check_member_sizes()

    def fail(self, problem):
        raise CheckpointError(f"{self.path!r}: {problem}")

    def check_member_sizes(self):
        """Before reading anything: no member is compressed (nothing is
        inflated), and the sizes the zip declares fit in the file, so reading
        every member once takes at most the file's size in memory."""
        declared = 0
        for info in self.zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                self.fail(f"member {info.filename} is stored compressed; minigrad "
                          "checkpoints never are (refusing to inflate it)")
            if info.file_size != info.compress_size:
                self.fail(f"member {info.filename} declares {info.file_size} "
                          f"bytes but holds {info.compress_size} (corrupted file)")
            declared += info.file_size
        real = os.fstat(self.zf.fp.fileno()).st_size
        if declared > real:
            self.fail(f"its members declare {declared} bytes in all, more than "
                      f"the file's {real} bytes (corrupted or crafted file)")

    def read_member(self, name, expect=None):
        """The array stored in ``<name>.npy``. Its header must describe exactly
        the member's size (and ``expect``'s (dtype, shape) if given) before
        any data is read."""
        info = self.members.get(name + ".npy")
        if info is None:
            self.fail(f"member {name}.npy is missing (corrupted file)")
        with self.zf.open(info) as fp:
            version = np.lib.format.read_magic(fp)
            if version not in ((1, 0), (2, 0)):
                self.fail(f"member {name}.npy has .npy format version {version}")
            read_header = getattr(np.lib.format, "read_array_header_%d_0"
                                  % version[0])
            shape, fortran_order, dtype = read_header(fp)
            nbytes = dtype.itemsize * math.prod(shape)
            if fp.tell() + nbytes != info.file_size:
                self.fail(f"member {name}.npy: its header declares {dtype} "
                          f"{shape} ({nbytes} bytes), which does not fit the "
                          f"member's {info.file_size} bytes (corrupted file)")
            if expect is not None and (dtype, shape) != expect:
                self.fail(f"array {name} has dtype {dtype} and shape {shape}; "
                          f"the manifest says {expect[0]} {expect[1]}")
            return _read_data(fp, dtype, shape, fortran_order)

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
        """The array ``key``, read and verified the first time it is named;
        later references get the same array (the aliasing that was saved)."""
        if isinstance(key, str) and key in self.loaded:
            return self.loaded[key]
        spec = self.specs.get(key) if isinstance(key, str) else None
        if not isinstance(spec, dict):
            self.fail(f"malformed manifest at {_where(path)}: unknown array {key!r}")
        dtype, shape = np.dtype(spec["dtype"]), spec["shape"]
        if dtype.kind not in _ARRAY_KINDS or not isinstance(shape, list) or not all(
                type(n) is int and n >= 0 for n in shape):
            self.fail(f"malformed manifest at {_where(path)}: array {key} has "
                      f"dtype {dtype} and shape {shape}")
        info = self.members.get(key + ".npy")
        if info is None or info.file_size < dtype.itemsize * math.prod(shape):
            self.fail(f"array {key} at {_where(path)} is missing or has the wrong "
                      "size (truncated or corrupted file)")
        array = self.read_member(key, expect=(dtype, tuple(shape)))
        if _sha256(np.asarray(array, order="C")) != spec["sha256"]:
            self.fail(f"array {key} at {_where(path)} does not match its checksum "
                      "(corrupted file)")
        self.loaded[key] = array
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
