"""Section 6: start-up costs, each measured in a fresh Python process."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

from .report import REPO, Section, Target

IMPORT = """
import time
t = time.perf_counter()
import minigrad
print(time.perf_counter() - t)
"""

FIRST_STEP = """
import time
t0 = time.perf_counter()
import numpy as np
import minigrad as mg
p = mg.nn.Parameter(np.ones(1000, np.float32))
p.grad = np.ones(1000, np.float32)
opt = mg.optim.{rule}([p], backend="cpu")
t1 = time.perf_counter()
opt.step()
t2 = time.perf_counter()
print(t2 - t1, t2 - t0)
"""


def _run(args, timeout=600):
    """Run a fresh interpreter in the repository; return (stdout, wall s)."""
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)  # measure what a user gets
    start = time.perf_counter()
    out = subprocess.run([sys.executable, *args], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=timeout,
                         check=False)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["?"]
        raise RuntimeError(f"exit code {out.returncode}: {tail[0]}")
    return out.stdout, wall


def _median_runs(script, reps):
    inside, walls = [], []
    for _ in range(reps):
        stdout, wall = _run(["-c", script])
        inside.append([float(v) for v in stdout.split()])
        walls.append(wall)
    columns = list(zip(*inside))
    return [statistics.median(c) for c in columns], statistics.median(walls)


def startup(sizes):
    sec = Section(
        "6. Start-up",
        f"Each a fresh `{os.path.basename(sys.executable)}` process started in "
        f"the repository; medians of {sizes.reps_startup} runs. \"Process\" is "
        "the wall time of the whole process, interpreter start-up included.",
        ["what", "measured s", "process s"],
    )
    (import_s,), wall = _median_runs(IMPORT, sizes.reps_startup)
    sec.add_row("`import minigrad`", import_s, wall)
    sec.targets.append(Target("`import minigrad`, seconds", import_s, 0.3))
    for rule in ("Adam", "LAMB"):
        _run(["-c", FIRST_STEP.format(rule=rule)])  # warm the kernel cache
        (step_s, since_start), wall = _median_runs(
            FIRST_STEP.format(rule=rule), sizes.reps_startup)
        sec.add_row(f"first `{rule}.step()`, warm kernel cache", step_s, wall)
        sec.targets.append(Target(
            f"first {rule} step in a fresh process (warm cache), seconds",
            step_s, 0.6))
    if sizes.compare:
        try:
            # the default run, plot included, written outside the checkout
            with tempfile.TemporaryDirectory() as tmp:
                plot = os.path.join(tmp, "minigrad-compare.png")
                _, wall = _run(["-m", "minigrad", "compare", "--plot", plot])
            sec.add_row("`python -m minigrad compare` (defaults)", "", wall)
        except (RuntimeError, subprocess.TimeoutExpired) as err:
            sec.notes.append(f"`minigrad compare` could not be timed: {err}")
    else:
        sec.notes.append("`minigrad compare` is not timed in smoke mode")
    sec.notes.append("\"first step\" is the `step()` call alone: it imports "
                     "numba and loads the compiled kernels from the cache.")
    return sec
