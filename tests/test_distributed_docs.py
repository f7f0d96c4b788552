"""docs/distributed.md says what the code does: its Python runs under
``mpiexec -n 2``, and its tables are the ones benchmarks/bench_distributed.py
renders from the JSON it saved (a stale table, or a JSON made with other
settings than the code has now, fails here)."""
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarks import bench_distributed as bench  # noqa: E402
from test_distributed import mpirun  # noqa: E402

PAGE = ROOT / "docs" / "distributed.md"


def test_the_pages_python_runs_on_two_ranks(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.S)
    assert len(blocks) >= 2
    script = tmp_path / "page.py"
    script.write_text("\n".join(blocks))
    code, out, err, _ = mpirun(2, script, cwd=tmp_path)
    assert code == 0, err
    assert out.strip().splitlines() == ["2 rank(s), global batch 64"]
    assert (tmp_path / "ddp-run.ckpt").exists()


@pytest.mark.parametrize("name", ["throughput", "costmodel", "largebatch"])
def test_the_tables_are_rendered_from_the_saved_numbers(name):
    rendered = bench.blocks()
    assert name in rendered, f"docs/data has no numbers for {name}: run " \
                             "python -m benchmarks.bench_distributed"
    assert bench.block_in(PAGE.read_text(), name) == rendered[name], \
        f"the {name} block is stale: python -m benchmarks.bench_distributed render"


def test_the_largebatch_numbers_were_made_with_todays_settings():
    from minigrad.distributed import largebatch as lb

    data = json.loads((bench.DATA / "largebatch.json").read_text())
    s = data["settings"]
    assert s["base_batch"] == lb.BASE_BATCH
    assert s["optimizers"] == {k: list(v) for k, v in lb.OPTIMIZERS.items()}
    assert (s["samples"], s["epochs"]) == (50_000, 10)
    batches = sorted({r["batch"] for r in data["rows"]})
    assert batches == lb.batch_sizes(40_000)
    assert {r["seed"] for r in data["rows"]} == {0, 1, 2}


def test_ring_allreduce_cost_model():
    assert bench.ring_bytes(1000, 1) == 0  # alone: nothing to send
    assert bench.ring_bytes(1000, 2) == 4000  # half out, half back, twice
    assert bench.ring_bytes(1000, 10**6) == pytest.approx(8000, rel=1e-5)
    # 1 us per sample, 1M params, batch 1000: compute 1 ms / N; ring time
    # 2 (N-1)/N * 4 MB / 1.25 GB/s = 6.4 ms (N-1)/N: never hidden past N = 1
    assert bench.largest_n(1e-6, 10**6, 1000) == 1
    # 1 ms per sample: compute 1 s / N >= 6.4 ms (N-1)/N  <=>  N <= 157
    assert bench.largest_n(1e-3, 10**6, 1000) == 157


# ----------------------- the statements distributed.md makes about the numbers
@pytest.fixture(scope="module")
def large():
    from minigrad.distributed.largebatch import summary

    data = json.loads((bench.DATA / "largebatch.json").read_text())
    return summary(data["rows"]), data["rows"]


def test_up_to_2048_the_accuracy_of_batch_32_is_kept(large):
    table, _ = large
    for (name, rule), cells in table.items():
        if rule == "linear" and name == "lamb":
            continue  # the exception the page names
        for batch in (128, 512, 2048):
            assert cells[batch][0] > cells[32][0] - 0.02, (name, rule, batch)


def test_linear_scaling_breaks_every_optimizer_lamb_first(large):
    table, rows = large
    for name in ("sgd+momentum", "adam", "adamw"):
        assert table[(name, "linear")][8192][0] < 0.2
    assert table[("lamb", "linear")][512][0] < table[("lamb", "linear")][32][0] - 0.2
    lrs = {(r["optimizer"], r["rule"], r["batch"]): r["lr"] for r in rows}
    assert lrs[("sgd+momentum", "linear", 8192)] == pytest.approx(12.8)
    assert lrs[("adam", "linear", 8192)] == pytest.approx(0.512)
    assert lrs[("lamb", "linear", 512)] == pytest.approx(0.08)


def test_with_sqrt_scaling_lamb_keeps_the_most(large):
    table, _ = large
    others = [table[(n, "sqrt")] for n in ("sgd+momentum", "adam", "adamw")]
    lamb = table[("lamb", "sqrt")]
    for batch in (8192, 32768, 40000):
        assert all(lamb[batch][0] > o[batch][0] for o in others), batch
    for batch in (32768, 40000):
        assert all(lamb[batch][1] > o[batch][2] for o in others), batch


def test_nothing_keeps_its_accuracy_at_the_largest_batches(large):
    table, rows = large
    for cells in table.values():
        for batch in (32768, 40000):
            assert cells[batch][0] < cells[32][0] - 0.2
    steps = {(r["batch"]): r["steps"] for r in rows}
    assert steps[32768] == 10 and steps[32] == 12500


def test_adam_and_adamw_agree_at_the_large_batches(large):
    table, _ = large
    for rule in ("linear", "sqrt"):
        for batch in (8192, 32768, 40000):
            assert abs(table[("adam", rule)][batch][0] -
                       table[("adamw", rule)][batch][0]) < 0.005


def test_what_the_page_says_about_the_throughput_rows():
    data = json.loads((bench.DATA / "distributed-throughput.json").read_text())
    rows = {(r["model"], r["processes"], r["threads"]): r
            for r in data["results"]}
    assert data["load_average_before"] > data["cpus"]  # "far above the cores"
    for model in ("small", "wide"):  # two threads slower than one
        assert rows[(model, 1, 2)]["step_ms"] > rows[(model, 1, 1)]["step_ms"]
        # two processes did not beat one
        assert rows[(model, 2, 1)]["step_ms"] > rows[(model, 1, 1)]["step_ms"]
    small = rows[("small", 2, 1)]
    assert small["allreduce_share"] > 0.5  # "most of each step"
    # the message alone: "a few hundredths of a millisecond", nearly all
    # of the time inside Allreduce is waiting
    assert small["allreduce_alone_ms"] < 0.1
    assert small["allreduce_alone_ms"] < 0.1 * small["allreduce_share"] * \
        small["step_ms"]
    assert rows[("wide", 2, 1)]["allreduce_share"] < 0.5  # "a minority"
    assert rows[("small", 1, 1)]["params"] * 4 < 26_000  # "25 KB"
    assert rows[("wide", 1, 1)]["params"] * 4 == pytest.approx(7.45e6, rel=0.01)


def test_weak_scaling_efficiency_tends_to_a_constant():
    # 1 ms of compute per rank vs 2 * 4 MB / 1.25 GB/s = 6.4 ms on the ring
    assert bench.weak_efficiency(1e-3 / 32, 10**6, 32) == pytest.approx(1 / 7.4)


def test_what_the_page_says_about_the_cost_model():
    data = json.loads((bench.DATA / "distributed-throughput.json").read_text())
    wide = next(r for r in data["results"] if r["model"] == "wide"
                and (r["processes"], r["threads"]) == (1, 1))
    per_sample = wide["step_ms"] / 1e3 / wide["batch"]
    # "about a dozen machines" at the global batch of 256
    assert 8 <= bench.largest_n(per_sample, wide["params"], 256) <= 18
    # "the limit grows in proportion to the global batch"
    assert bench.largest_n(per_sample, wide["params"], 1024) == pytest.approx(
        4 * bench.largest_n(per_sample, wide["params"], 256), rel=0.1)
    assert 6 * wide["params"] == pytest.approx(11e6, rel=0.03)  # "11 MFLOP"
