"""benchmarks/gpu_check.py runs end to end in Numba's CUDA simulator."""
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from optim_golden import CONFIGS  # noqa: E402


def _check(tmp_path, env_extra, *args):
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    env.update(env_extra)
    out = tmp_path / "gpu.md"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.gpu_check", str(out), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
        check=False)
    return proc, out


def test_gpu_check_in_the_simulator_covers_every_rule_option_and_dtype(tmp_path):
    proc, out = _check(tmp_path, {"NUMBA_ENABLE_CUDASIM": "1"}, "--tiny",
                       "--steps", "2", "--reps", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "simulator" in text
    agree = text.split("## Agreement", 1)[1].split("## One step", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (.+?) \| (float\d\d) \| (.+?) \| .+ \| "
                      r"(ok|\*\*OFF\*\*) \|$", agree, re.M)
    layouts = {r[3] for r in rows}
    assert len(layouts) == 4 and "20 x (3,)" in layouts  # the many-tensor one
    assert len(rows) == len(CONFIGS) * 2 * len(layouts)
    assert {r[4] for r in rows} == {"ok"}
    assert f"agreement: {len(rows)} of {len(rows)} runs" in text
    speed = text.split("## One step", 1)[1]
    for rule in ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW",
                 "LAMB"):
        assert len(re.findall(rf"^\| {rule} \| [\d,]+ \| ", speed, re.M)) == 2


def test_gpu_check_without_a_gpu_says_so(tmp_path):
    proc, out = _check(tmp_path, {}, "--tiny")
    assert proc.returncode != 0 and not out.exists()
    assert "no usable CUDA GPU" in proc.stderr
