"""The IDX file format of MNIST and Fashion-MNIST: read and write.

An IDX file is a header and then the array, big-endian, row-major:

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    then        d sizes, each a big-endian uint32
    then        prod(sizes) elements

A name ending in ``.gz`` is read and written through gzip. Files are
untrusted: the sizes the header declares are checked against the bytes that
follow before the array is made, and anything wrong raises ``IDXError``
naming the file.
"""
import gzip
import os

import numpy as np

_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder("="): code for code, dt in _TYPES.items()}


class IDXError(ValueError):
    """A file that is not a well-formed IDX file."""


def _open(path, mode, gz=None):
    gz = str(path).endswith(".gz") if gz is None else gz
    return gzip.open(path, mode) if gz else open(path, mode)


def read_idx(path, max_bytes=2 ** 31):
    """The array stored in the IDX file ``path`` (native byte order; uint8
    images stay uint8). ``max_bytes`` bounds what a header may declare."""
    try:
        with _open(path, "rb") as f:
            header = f.read(4)
            if len(header) != 4 or header[:2] != b"\0\0" or header[2] not in _TYPES:
                raise IDXError(f"{path}: not an IDX file (header bytes "
                               f"{header.hex()}; expected 0000, a type code in "
                               f"{sorted(hex(c) for c in _TYPES)} and a rank)")
            dtype, ndim = _TYPES[header[2]], header[3]
            dims = f.read(4 * ndim)
            if len(dims) != 4 * ndim:
                raise IDXError(f"{path}: the header declares {ndim} dimensions "
                               f"but the file ends inside them")
            shape = tuple(int(n) for n in np.frombuffer(dims, ">u4"))
            size = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if size > max_bytes:
                raise IDXError(f"{path}: the header declares shape {shape} "
                               f"({size} bytes), more than max_bytes={max_bytes}")
            body = f.read(size + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise IDXError(f"{path}: cannot read: {err}") from None
    if len(body) != size:
        raise IDXError(f"{path}: the header declares shape {shape} ({size} bytes "
                       f"of data) but the file holds "
                       f"{'more' if len(body) > size else len(body)} bytes")
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) to
    ``path`` in IDX format (gzip-compressed if the name ends in ``.gz``),
    atomically: a temporary file is renamed into place."""
    array = np.ascontiguousarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES or array.ndim > 255:
        raise TypeError(f"IDX stores uint8, int8, int16, int32, float32 or "
                        f"float64 arrays of rank <= 255, got {array.dtype} of "
                        f"rank {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape,
                                                          ">u4").tobytes()
    tmp = f"{path}.tmp{os.getpid()}"
    with _open(tmp, "wb", gz=str(path).endswith(".gz")) as f:
        f.write(header)
        f.write(array.astype(_TYPES[code], copy=False).tobytes())
    os.replace(tmp, path)
