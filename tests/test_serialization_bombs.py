"""mg.load on crafted (hostile) files: memory stays in proportion to the file.

Each bomb is a small file with a valid manifest checksum that, read naively,
asks for far more memory than its size: a compressed member, an array named
thousands of times, a header or a zip entry that declares more bytes than the
file holds. The loads that could hurt run in a subprocess whose address space
is capped (so a regression fails the test instead of the machine), and the
subprocess reports the peak resident memory its load added.
"""
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad.serialization import CheckpointError

MiB = 1 << 20

LOADER = textwrap.dedent(
    """
    import json, resource, sys
    import minigrad as mg
    from minigrad import serialization  # numpy, zipfile, json: loaded now

    def status_kib(field):
        with open("/proc/self/status") as status:
            line = next(l for l in status if l.startswith(field + ":"))
        return int(line.split()[1])

    cap = status_kib("VmSize") * 1024 + int(sys.argv[2])  # spare the machine
    resource.setrlimit(resource.RLIMIT_AS, (cap, resource.RLIM_INFINITY))
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak (VmHWM) to the current RSS
    before = status_kib("VmRSS")
    try:
        tree = mg.load(sys.argv[1])
        outcome = "loaded"
        shared = (isinstance(tree, list) and len(tree) > 1
                  and all(t is tree[0] for t in tree))
    except mg.CheckpointError as exc:
        outcome, shared = "CheckpointError: " + str(exc), None
    except MemoryError:
        outcome, shared = "MemoryError", None
    print(json.dumps({"outcome": outcome, "shared": shared,
                      "added_kib": status_kib("VmHWM") - before}))
    """
)


def load_in_subprocess(path, cap=1024 * MiB):
    """Load ``path`` in a child limited to ``cap`` more bytes of address
    space; return its outcome and the peak resident memory the load added."""
    done = subprocess.run([sys.executable, "-c", LOADER, str(path), str(cap)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


needs_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc and RLIMIT_AS")


# -------------------------------------------------------------- crafting
def npy_header(dtype, shape):
    """The bytes np.save writes before an array's data."""
    header = {"descr": np.dtype(dtype).str, "fortran_order": False,
              "shape": tuple(shape)}
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def write_member(zf, name, header, chunks=(), compress=False):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zf.open(info, "w", force_zip64=True) as member:
        member.write(header)
        for chunk in chunks:
            member.write(chunk)


def craft(path, tree, arrays, compress=(), manifest_header=None, declare=None):
    """A checkpoint whose manifest (with a valid checksum) holds ``tree`` and
    ``arrays``: {key: (dtype, shape, chunks of data)}. Members named in
    ``compress`` are deflated; ``manifest_header`` replaces the manifest's
    .npy header; ``declare`` ({member: size}) is what the zip's central
    directory claims their sizes are."""
    specs = {key: {"dtype": np.dtype(dtype).str, "shape": list(shape),
                   "sha256": hashlib.sha256(b"".join(chunks)).hexdigest()}
             for key, (dtype, shape, chunks) in arrays.items()}
    text = json.dumps({"format": "minigrad-checkpoint", "version": 1,
                       "tree": tree, "arrays": specs}).encode()
    digest = hashlib.sha256(text).hexdigest().encode()
    with zipfile.ZipFile(path, "w", allowZip64=True) as zf:
        write_member(zf, "minigrad_manifest.npy",
                     manifest_header or npy_header(np.uint8, [len(text)]), [text],
                     compress="manifest" in compress)
        write_member(zf, "minigrad_checksum.npy", npy_header(np.uint8, [64]),
                     [digest])
        for key, (dtype, shape, chunks) in arrays.items():
            write_member(zf, key + ".npy", npy_header(dtype, shape), chunks,
                         compress=key in compress)
        for name, size in (declare or {}).items():  # written at close
            zf.getinfo(name).file_size = zf.getinfo(name).compress_size = size
    return path


def zeros(nbytes, chunk=8 * MiB):
    """``nbytes`` zero bytes, in chunks (never all in memory)."""
    block = bytes(chunk)
    full, rest = divmod(nbytes, chunk)
    return [block] * full + ([bytes(rest)] if rest else [])


# ------------------------------------------------------------------ bombs
def test_saved_aliasing_loads_as_one_array(tmp_path):
    shared, scalar = np.arange(6.0).reshape(2, 3), np.float32(2.5)
    tree = {"a": shared, "b": [shared, (shared, scalar)], "c": scalar,
            "other": np.arange(6.0).reshape(2, 3)}  # equal, not the same
    mg.save(tree, tmp_path / "ck")
    with np.load(tmp_path / "ck", allow_pickle=False) as npz:
        assert len([n for n in npz.files if n.startswith("array_")]) == 3
    loaded = mg.load(tmp_path / "ck")
    assert loaded["a"] is loaded["b"][0] is loaded["b"][1][0]
    assert loaded["other"] is not loaded["a"]
    np.testing.assert_array_equal(loaded["a"], shared)
    assert loaded["c"] == scalar and loaded["c"].dtype == np.float32


@needs_linux
def test_an_array_named_thousands_of_times_is_read_once(tmp_path):
    """4 MiB stored once and named 2,000 times: 8 GB if each name were read
    as its own copy; one 4 MiB array shared by all of them."""
    path = craft(tmp_path / "refs.ck", {"list": [{"array": "array_0"}] * 2000},
                 {"array_0": (np.float64, [MiB // 2], zeros(4 * MiB))})
    result = load_in_subprocess(path)
    assert result["outcome"] == "loaded" and result["shared"] is True, result
    assert result["added_kib"] * 1024 < 2 * os.path.getsize(path) + 4 * MiB, result


@needs_linux
@pytest.mark.parametrize("member", ["array_0", "manifest"])
def test_a_compressed_member_is_refused_without_inflating_it(tmp_path, member):
    """256 MiB of zeros deflate to a quarter MiB; save never compresses, so
    load refuses to inflate anything. The manifest bomb is a deflated
    manifest naming the array 200,000 times."""
    if member == "array_0":
        tree, data = {"array": "array_0"}, zeros(256 * MiB)
    else:
        tree, data = {"list": [{"array": "array_0"}] * 200_000}, zeros(MiB)
    path = craft(tmp_path / "zip.ck", tree,
                 {"array_0": (np.uint8, [sum(map(len, data))], data)},
                 compress=[member])
    assert os.path.getsize(path) < 2 * MiB
    result = load_in_subprocess(path)
    assert result["outcome"].startswith("CheckpointError"), result
    assert "stored compressed" in result["outcome"] and str(path) in result["outcome"]
    assert result["added_kib"] < 4 * 1024, result


@needs_linux
def test_a_manifest_header_declaring_a_huge_array_is_refused(tmp_path):
    """The manifest's .npy header claims 2**45 bytes (32 TiB): numpy would
    allocate that before reading; a MemoryError must never escape."""
    path = craft(tmp_path / "hdr.ck", None, {},
                 manifest_header=npy_header(np.uint8, [2 ** 45]))
    result = load_in_subprocess(path)
    assert result["outcome"].startswith("CheckpointError"), result
    assert "does not fit" in result["outcome"], result
    assert result["added_kib"] < 4 * 1024, result


def test_an_array_header_disagreeing_with_its_member_is_refused(tmp_path):
    path = craft(tmp_path / "hdr.ck", {"array": "array_0"},
                 {"array_0": (np.float64, [2 ** 40], [bytes(64)])})
    with pytest.raises(CheckpointError, match="hdr.ck.*wrong size"):
        mg.load(path)


@needs_linux
def test_a_zip_entry_declaring_more_bytes_than_the_file_is_refused(tmp_path):
    """The central directory says array_0 holds 16 GiB (and the manifest and
    the .npy header agree); the file holds 1 KiB of it."""
    path = tmp_path / "entry.ck"
    huge = 2 ** 31  # float64 elements: 16 GiB
    craft(path, {"array": "array_0"},
          {"array_0": (np.float64, [huge], [bytes(1024)])},
          declare={"array_0.npy": huge * 8 + len(npy_header(np.float64, [huge]))})
    result = load_in_subprocess(path)
    assert result["outcome"].startswith("CheckpointError"), result
    assert "more than the file's" in result["outcome"], result
    assert result["added_kib"] < 4 * 1024, result


def test_running_out_of_memory_is_a_checkpoint_error(tmp_path, monkeypatch):
    """A checkpoint too big for this machine: CheckpointError naming the file,
    not a raw MemoryError."""
    from minigrad import serialization

    path = tmp_path / "big.ck"
    mg.save({"w": np.ones(8)}, path)

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(serialization, "_read_data", no_memory)
    with pytest.raises(CheckpointError, match="big.ck.*not enough memory"):
        mg.load(path)
