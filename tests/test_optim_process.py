"""What needs a fresh Python process: importing minigrad.optim must not import
numba; backend="cuda" without a GPU (and without the simulator) must say what
to do instead; the cpu kernels must load from numba's cache, not recompile."""
import os
import subprocess
import sys

import numpy as np
import pytest

from minigrad import optim
from minigrad.nn import Parameter


def run_python(code, env_drop=("NUMBA_ENABLE_CUDASIM",)):
    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=env, timeout=300)


def test_import_does_not_import_numba():
    result = run_python("import sys, minigrad.optim, minigrad as mg; "
                        "mg.optim.Adam; print('numba' in sys.modules)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_cuda_backend_without_gpu_names_the_ways_out():
    code = ("from numba import cuda\n"
            "import sys\n"
            "if cuda.is_available(): sys.exit(3)\n"
            "import numpy as np\n"
            "from minigrad import optim\nfrom minigrad.nn import Parameter\n"
            "optim.Adam([Parameter(np.zeros(2))], backend='cuda')\n")
    result = run_python(code)
    if result.returncode == 3:
        pytest.skip("a CUDA GPU is available here")
    assert "RuntimeError" in result.stderr
    assert 'backend="cpu"' in result.stderr
    assert "NUMBA_ENABLE_CUDASIM=1" in result.stderr


def test_cpu_kernels_load_from_the_cache_in_a_new_process():
    a = Parameter(np.zeros(2, np.float32))
    opt = optim.Adam([a])
    a.grad = np.ones(2, np.float32)
    opt.step()  # compiled (or cached) here
    code = ("import numpy as np\nfrom minigrad import optim\n"
            "from minigrad.nn import Parameter\n"
            "from minigrad.optim.kernels import cpu\n"
            "a = Parameter(np.zeros(2, np.float32))\n"
            "opt = optim.Adam([a]); a.grad = np.ones(2, np.float32); opt.step()\n"
            "s = cpu.adam_kernel.stats\n"
            "print(sum(s.cache_hits.values()), sum(s.cache_misses.values()))\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    hits, misses = map(int, result.stdout.split()[-2:])
    assert (hits, misses) == (1, 0), "the kernel was recompiled, not loaded"
