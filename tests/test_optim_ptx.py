"""Every CUDA kernel compiles to real PTX for sm_80 and sm_90, in float32 and
float64, and the float32 kernels contain no float64 instruction.

The simulator runs Python, not PTX, so this is the proof that the GPU path is
real. It runs in a subprocess without NUMBA_ENABLE_CUDASIM (conftest switches
the simulator on for this process). Without a GPU numba still asks the driver
for the current device while compiling; the subprocess answers for it with the
compute capability being compiled for.
"""
import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, re, sys
from numba import cuda
import numba.cuda.dispatcher as dispatcher

class Device:  # stands in for the missing GPU (see research/numba.md)
    compute_capability = (9, 0)

dispatcher.get_current_device = lambda: Device()
from numba.cuda.cudadrv import error as cuda_errors
from minigrad.optim.kernels import cuda as _cuda
MISSING = (cuda_errors.NvvmSupportError, cuda_errors.NvrtcSupportError)
f64 = re.compile(r"\b[a-z]+(?:\.[a-z0-9]+)*\.f64\b")
out = {}
for dtype in ("float32", "float64"):
    for name, function, argtypes in _cuda.ptx_kernels(dtype):
        for cc in ((8, 0), (9, 0)):
            Device.compute_capability = cc
            try:
                ptx, _ = cuda.compile_ptx(function, argtypes, cc=cc)
            except MISSING as error:  # the compiler libraries are absent
                print(json.dumps({"missing": f"{type(error).__name__}: {error}"}))
                sys.exit(0)
            out[f"{name}/{dtype}/{cc[0]}{cc[1]}"] = {
                "target": re.findall(r"^\.target\s+(\S+)", ptx, re.M),
                "entries": len(re.findall(r"^\.(?:visible\s+)?\.entry", ptx, re.M)),
                "f64": sorted(set(f64.findall(ptx))),
                "f32": len(re.findall(r"\.f32\b", ptx)),
            }
print(json.dumps(out))
"""

KERNELS = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw",
           "lamb_moments", "lamb_apply"]


@pytest.fixture(scope="module")
def compiled():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True,
                            text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    if "missing" in out:
        pytest.skip("the NVVM/NVRTC compilers are not installed "
                    f"(pip install 'minigrad[cuda]'): {out['missing']}")
    return out


def test_every_kernel_compiles_for_sm80_and_sm90(compiled):
    for name in KERNELS:
        for dtype in ("float32", "float64"):
            for cc in ("80", "90"):
                info = compiled[f"{name}/{dtype}/{cc}"]
                assert info["target"] == [f"sm_{cc}"], (name, info["target"])
                assert info["entries"] == 1, name


def test_float32_kernels_have_no_float64_instructions(compiled):
    for name in KERNELS:
        for cc in ("80", "90"):
            info = compiled[f"{name}/float32/{cc}"]
            assert info["f32"] > 0, name
            assert info["f64"] == [], (name, info["f64"])


def test_float64_kernels_do_compute_in_float64(compiled):
    """The regex does find f64 instructions when they are there."""
    for name in KERNELS:
        assert any(op.startswith(("add.", "fma.", "mul.", "sub.", "div."))
                   for op in compiled[f"{name}/float64/90"]["f64"]), name
