"""The benchmark suite must keep running: a smoke run with tiny sizes."""
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `benchmarks` lives beside the package

from benchmarks.report import Target, fmt  # noqa: E402
from benchmarks.timing import interleaved, medians  # noqa: E402

# Runs in a fresh interpreter; the prelude can make optional packages vanish.
RUNNER = ("import sys; {prelude}from benchmarks.run import main; "
          "raise SystemExit(main(sys.argv[1:]))")
HIDE_BASELINES = "sys.modules['torch'] = None; sys.modules['micrograd'] = None; "


def _smoke(tmp_path, *args, prelude=""):
    out = tmp_path / "smoke.md"
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER.format(prelude=prelude), "--smoke",
         "--out", str(out), *args],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return out.read_text()


def _target_rows(text):
    """(name, measured, result) for each row of the Targets table."""
    block = text.split("### Targets", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \| [<>]= .+? \| (.+?) \|$", block, re.M)
    return rows


@pytest.mark.slow  # ~1 min quiet, 3-4 min on a busy 2-core machine
def test_smoke_run_measures_every_section(tmp_path):
    text = _smoke(tmp_path)
    for number in range(1, 8):
        assert re.search(rf"^### {number}\. ", text, re.M), f"section {number}"
    assert "(failed)" not in text and "error:" not in text
    assert "Smoke run" in text and "Reproduce: `python -m benchmarks" in text
    rows = _target_rows(text)
    names = " ".join(name for name, _, _ in rows)
    for rule in ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW", "LAMB"):
        assert f"{rule}: cpu step / floor" in names
    assert "import minigrad" in names
    installed = []
    for module in ("torch", "micrograd"):
        try:
            __import__(module)
            installed.append(module)
        except ImportError:
            pass
    assert "Adam step (270k) in the loop / alone" in names
    if "torch" in installed:
        assert "torch fused" in names and "engine per-op" in names
        assert "contention: minigrad growth / torch growth" in names
        assert "2-16-16-2 training step: minigrad / torch" in names
    if "micrograd" in installed:
        assert "micrograd epoch" in names
    for name, measured, result in rows:  # every target got a real number
        assert math.isfinite(float(measured.replace(",", ""))), name
        assert result in ("pass", "**FAIL**")


def test_smoke_run_without_torch_or_micrograd_says_skipped(tmp_path):
    text = _smoke(tmp_path, "--sections", "3", "4", "5",
                  prelude=HIDE_BASELINES)
    skipped = re.findall(r"^skipped: torch not installed$", text, re.M)
    assert len(skipped) == 2  # sections 3 and 4
    assert "per-op comparison skipped: torch not installed" in text
    assert "micrograd comparison skipped: micrograd not installed" in text
    assert "(failed)" not in text


def test_isolated_compare_runs_each_side_in_its_own_process_in_turns():
    from benchmarks.isolated import compare

    res = compare({"short": ("benchmarks.cases:sleep", {"seconds": 0.002}),
                   "long": ("benchmarks.cases:sleep", {"seconds": 0.006})},
                  rounds=3, seconds=0.05, threads=1)
    for name, result in res.items():
        assert len(result.round_medians) == 3 and len(result.samples) >= 9
    assert res["short"].median >= 0.002 and res["long"].median >= 0.006
    assert res["long"].median > res["short"].median


def test_isolated_worker_error_names_the_case():
    from benchmarks.isolated import compare

    with pytest.raises(RuntimeError, match="no_such_case"):
        compare({"x": ("benchmarks.cases:no_such_case", {})}, rounds=1)


def test_interleaved_alternates_order_and_reports_per_call_time():
    calls = []
    cases = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    samples = interleaved(cases, repetitions=2, warmup=0, inner=3)
    assert calls == list("aaabbbccc") + list("cccbbbaaa")
    assert all(len(v) == 2 and min(v) >= 0 for v in samples.values())
    assert set(medians(samples)) == set("abc")


@pytest.mark.parametrize("measured, limit, at_least, passed", [
    (1.1, 1.2, False, True), (1.3, 1.2, False, False),
    (150.0, 100.0, True, True), (50.0, 100.0, True, False),
    (float("nan"), 1.2, False, False),
])
def test_target_verdict(measured, limit, at_least, passed):
    assert Target("t", measured, limit, at_least).passed is passed


def test_fmt_keeps_three_significant_digits():
    assert fmt(0.012345) == "0.0123" and fmt(12345.6) == "12,346"
    assert fmt(float("nan")) == "n/a" and fmt("x") == "x" and fmt(7) == "7"


def test_docs_results_block_is_the_last_full_run():
    """docs/performance.md shows benchmarks/results.md as the full run wrote
    it, with every section the suite has now (a new section: rerun)."""
    from benchmarks.run import BEGIN, DOCS, END, RESULTS, _sections

    docs = DOCS.read_text()
    block = docs.split(BEGIN, 1)[1].split(END, 1)[0].lstrip("\n")
    results = RESULTS.read_text()
    assert block == results
    assert "Smoke run" not in results
    for number in _sections():
        assert re.search(rf"^### {number}\. ", results, re.M), number
    load = re.search(r"load average at start \(1/5/15 min\) \| ([\d.]+)",
                     results)
    assert load and f"load {load.group(1)}" in docs  # the prose names the load


def test_docs_target_table_numbers_come_from_the_runs_it_names():
    """Every number the target table of docs/performance.md quotes is in the
    run its column names: the two-thread full run (benchmarks/results.md)
    or the one-thread run (benchmarks/results-1-thread.md). Rerun: update
    both."""
    docs = (REPO / "docs" / "performance.md").read_text()
    runs = [(REPO / "benchmarks" / name).read_text()
            for name in ("results.md", "results-1-thread.md")]
    one_thread = runs[1]
    assert "Smoke run" not in one_thread and "| threads used" in one_thread
    for number in (4, 5, 7):
        assert re.search(rf"^### {number}\. ", one_thread, re.M), number
    table = docs.split("| target (ratio to torch 2.13 CPU) |", 1)[1]
    table = table.split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.splitlines()[2:]]
    assert len(rows) >= 6
    for column, results in zip((1, 2), runs):
        numbers = [n for cells in rows
                   for n in re.findall(r"\d[\d,]*\.?\d*", cells[column])
                   if n not in ("1", "2")]
        assert len(numbers) >= 12, column
        for n in numbers:
            assert re.search(rf"\| {re.escape(n)} ", results), (column, n)
