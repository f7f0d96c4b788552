"""Every script in examples/ runs (with small settings) and exits 0.

Each runs in a fresh process, as a reader would run it. A new example file
without an entry here fails the last test, so none is forgotten.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# script -> (arguments for a quick run, text its output must contain)
RUNS = {
    "graph_of_expression.py": (["expression.svg"], "digraph minigrad"),
    "gradcheck_in_unit_test.py": ([], "all gradient checks behaved"),
    "numpy_backprop_unit_test.py": ([], "all backprop checks behaved"),
    "fast_mode_misses.py": (["--seeds", "2"], "| x1.5 |"),
    "mlp_on_moons.py": (["--epochs", "5", "--plot", "moons.png"],
                        "held-out accuracy"),
    "optimizer_race.py": (["--epochs", "2"], "lowest final loss"),
    "cuda_backend.py": (["--steps", "5"], "largest parameter difference"),
    "train_from_scratch.py": (["--epochs", "3"], ""),
    "data_parallel.py": (["--epochs", "2"], "largest parameter difference"),
    "mlp_on_idx_digits.py": (["--epochs", "2"], "test accuracy"),
    "edge_of_stability.py": (["--lr", "0.5", "--steps", "50"], "2 / lr = 4"),
}
# script -> a package it needs that is only an optional extra
NEEDS = {"mlp_on_idx_digits.py": "sklearn"}


def run_example(name, args, tmp_path, env=None):
    environment = dict(os.environ)
    environment.pop("NUMBA_ENABLE_CUDASIM", None)
    environment.update(env or {})
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args],
                          cwd=tmp_path, env=environment, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_runs_and_exits_0(name, tmp_path):
    if not (EXAMPLES / name).exists():
        pytest.skip(f"{name} is not written yet")
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    args, expected = RUNS[name]
    r = run_example(name, args, tmp_path)
    assert r.returncode == 0, f"{name} failed:\n{r.stdout}\n{r.stderr}"
    assert expected in r.stdout


def test_cuda_example_falls_back_with_a_message_without_gpu(tmp_path):
    r = run_example("cuda_backend.py", ["--steps", "3"], tmp_path)
    assert r.returncode == 0, r.stderr
    if "using the GPU" not in r.stdout:
        assert "falling back to backend='cpu'" in r.stdout


def test_cuda_example_in_the_simulator(tmp_path):
    r = run_example("cuda_backend.py", ["--steps", "2"], tmp_path,
                    env={"NUMBA_ENABLE_CUDASIM": "1"})
    assert r.returncode == 0, r.stderr
    assert "using the CUDA simulator" in r.stdout
    assert "backend='cuda'" in r.stdout


def test_gradcheck_example_works_under_pytest(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                        "no:cacheprovider",
                        str(EXAMPLES / "gradcheck_in_unit_test.py")],
                       cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 passed" in r.stdout


def test_every_example_is_covered():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts <= set(RUNS), f"add these to RUNS: {scripts - set(RUNS)}"


@pytest.mark.slow
def test_the_documented_digits_accuracy_is_what_the_example_reaches(tmp_path):
    """examples/README.md quotes the full run's accuracy; a rerun lands within
    two test digits of it (BLAS on another CPU rounds differently)."""
    import re

    pytest.importorskip("sklearn")
    text = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    documented = float(re.search(r"test accuracy ([\d.]+) after 30 epochs",
                                 text).group(1))
    r = run_example("mlp_on_idx_digits.py", [], tmp_path,
                    env={"OPENBLAS_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr
    reached = float(re.findall(r"test accuracy ([\d.]+) after", r.stdout)[-1])
    assert abs(reached - documented) <= 2 / 360 + 1e-9
