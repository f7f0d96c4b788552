"""Numba's idle worker threads sleep instead of spinning (optim/kernels/threads.py).

Each case runs in a fresh process: libgomp reads its wait policy once, when
numba first starts its threads. The signal is the CPU time the process uses
while its main thread sleeps right after a parallel optimizer step: a
spinning OpenMP worker burns a core then (about 5 ms per step on the
project's 2-core machine, ~100 ms with OMP_WAIT_POLICY=ACTIVE); a sleeping
one burns nothing.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PROGRAM = r"""
import json, os, sys, time
import numpy as np
import minigrad as mg

before = dict(os.environ)
p = mg.Tensor(np.zeros(1 << 21, np.float32), requires_grad=True)
opt = mg.optim.Adam([p])  # 2M elements: a parallel step
p.grad = np.ones_like(p.data)
opt.step()
import numba
from numba.np.ufunc import parallel
idle = []
for _ in range(5):
    opt.step()
    start = time.process_time()
    time.sleep(0.1)
    idle.append(time.process_time() - start)
print(json.dumps({"idle_cpu": sorted(idle)[2], "env_same": dict(os.environ) == before,
                  "layer": numba.threading_layer(),
                  "threads": numba.get_num_threads()}))
"""


def _run(**env):
    environ = {k: v for k, v in os.environ.items()
               if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")}
    environ.pop("NUMBA_ENABLE_CUDASIM", None)
    environ.update(env, PYTHONPATH=str(REPO), NUMBA_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", PROGRAM], env=environ,
                         capture_output=True, text=True, timeout=300, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["layer"] != "omp" or result["threads"] < 2:
        pytest.skip(f"numba's threading layer here is {result['layer']} with "
                    f"{result['threads']} thread(s); the wait policy is OpenMP's")
    return result


def test_idle_workers_sleep_and_the_environment_is_left_as_it_was():
    result = _run()
    assert result["env_same"]
    # a spinning worker would use ~5 ms of CPU per 100 ms sleep here
    assert result["idle_cpu"] < 0.002, result


def test_the_users_wait_policy_wins():
    result = _run(OMP_WAIT_POLICY="ACTIVE")
    assert result["env_same"]
    assert result["idle_cpu"] > 0.02, result  # ACTIVE: spins the whole sleep
