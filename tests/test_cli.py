"""The `minigrad` command through its real entry point (`python -m minigrad`),
on tiny settings: each subcommand prints its table and writes its files; bad
arguments exit non-zero naming what is valid; a missing optional dependency
costs the picture, not the table."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg

OPTIMIZERS = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "lamb"]
NAMES = ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "AdamW", "LAMB"]


def run(args, cwd, env=None, timeout=240, python_prefix=None):
    """Run `python -m minigrad ARGS` (or a -c program) in a fresh process."""
    environment = dict(os.environ)
    environment.pop("NUMBA_ENABLE_CUDASIM", None)  # the CLI sees a real setup
    environment.update(env or {})
    cmd = [sys.executable] + (python_prefix or ["-m", "minigrad"]) + args
    return subprocess.run(cmd, cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=timeout)


def table_rows(stdout, names=NAMES):
    """{optimizer display name: row cells} from a printed table."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] in names:
            rows[cells[0]] = cells[1:]
    return rows


def is_png(path):
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------- --help
def test_help_teaches_every_command(tmp_path):
    top = run(["--help"], tmp_path)
    assert top.returncode == 0
    for command in ("compare", "train", "paths", "graph"):
        assert command in top.stdout
        sub = run([command, "--help"], tmp_path)
        assert sub.returncode == 0, sub.stderr
        assert "examples:" in sub.stdout and len(sub.stdout) > 1500
    assert "same initial weights" in run(["compare", "--help"], tmp_path).stdout


# ---------------------------------------------------------------- compare
def test_compare_all_seven_prints_table_and_saves_plot_and_json(tmp_path):
    r = run(["compare", "--epochs", "3", "--samples", "120", "--backend",
             "numpy", "--plot", "curves.png", "--json", "out.json",
             "--target-loss", "1.05"], tmp_path)
    assert r.returncode == 0, r.stderr
    rows = table_rows(r.stdout)
    assert list(rows) == NAMES
    for cells in rows.values():
        lr, loss, train_acc, test_acc, steps, wall = cells
        assert 0 < float(loss) < 5 and 0 <= float(test_acc) <= 1
        assert steps == "never" or 0 < int(steps) <= 3 * 3  # 90/32 -> 3/epoch
        assert float(wall) >= 0
    assert is_png(tmp_path / "curves.png")
    data = json.loads((tmp_path / "out.json").read_text())
    assert [res["optimizer"] for res in data["results"]] == OPTIMIZERS
    first_losses = {res["curve_loss"][0] for res in data["results"]}
    assert len(first_losses) == 7  # same start, different rules
    # same initial weights and batches: a rerun gives the same losses
    again = run(["compare", "--epochs", "3", "--samples", "120", "--backend",
                 "numpy", "--no-plot", "--target-loss", "1.05"], tmp_path)
    assert table_rows(again.stdout)["Adam"][1] == rows["Adam"][1]


def test_compare_subset_lr_override_and_cpu_backend(tmp_path):
    r = run(["compare", "--epochs", "2", "--samples", "100", "--optimizers",
             "sgd,adam", "--lr", "sgd=0.05", "--dataset", "moons",
             "--no-plot"], tmp_path)
    assert r.returncode == 0, r.stderr
    rows = table_rows(r.stdout)
    assert list(rows) == ["SGD", "Adam"]
    assert rows["SGD"][0] == "0.05" and rows["Adam"][0] == "0.01"
    assert "backend cpu" in r.stdout
    assert not list(tmp_path.glob("*.png"))


def test_compare_without_matplotlib_still_prints_table(tmp_path):
    program = ("import sys; sys.modules['matplotlib'] = None; "
               "from minigrad.cli import main; sys.exit(main(sys.argv[1:]))")
    r = run(["compare", "--epochs", "1", "--samples", "60", "--optimizers",
             "sgd,adam", "--backend", "numpy"], tmp_path,
            python_prefix=["-c", program])
    assert r.returncode == 0, r.stderr
    assert list(table_rows(r.stdout)) == ["SGD", "Adam"]
    assert "pip install matplotlib" in r.stderr
    assert not (tmp_path / "minigrad-compare.png").exists()


def test_compare_cuda_without_gpu_says_what_to_do(tmp_path):
    r = run(["compare", "--epochs", "1", "--samples", "60", "--optimizers",
             "adam", "--backend", "cuda", "--no-plot"], tmp_path)
    if r.returncode == 0:
        pytest.skip("a GPU is present; this checks the no-GPU message")
    assert r.returncode == 1
    assert "error" in r.stderr and "cpu" in r.stderr
    assert "Traceback" not in r.stderr


# ------------------------------------------------------------------ train
def test_train_saves_checkpoint_and_decision_boundary(tmp_path):
    r = run(["train", "--optimizer", "adam", "--epochs", "3", "--samples",
             "120", "--backend", "numpy", "--checkpoint", "model.ckpt",
             "--plot", "boundary.png", "--hidden", "8"], tmp_path)
    assert r.returncode == 0, r.stderr
    match = re.search(r"final training loss ([\d.]+)\s+train accuracy "
                      r"([\d.]+)\s+held-out accuracy ([\d.]+)", r.stdout)
    assert match, r.stdout
    assert is_png(tmp_path / "boundary.png")
    state = mg.load(str(tmp_path / "model.ckpt"))
    assert list(state["sizes"]) == [2, 8, 2]
    assert state["optimizer_name"] == "adam"
    from minigrad import nn

    from minigrad import optim

    model = nn.MLP(list(state["sizes"]))      # the checkpoint is usable
    opt = optim.Adam(model.parameters(), lr=state["lr"])
    mg.restore(state, strict=False, model=model, optimizer=opt)
    assert all(np.array_equal(p.data, state["model"][name])
               for name, p in model.named_parameters())
    assert opt.state_dict()["state"].keys() == state["optimizer"]["state"].keys()
    assert any(np.any(v != 0) for v in state["model"].values())


@pytest.mark.parametrize("args, status, message", [
    (["train", "--checkpoint", "missing_dir/x.ckpt"], 1,
     "--checkpoint 'missing_dir/x.ckpt': the folder 'missing_dir' does not exist"),
    (["train", "--checkpoint", "runs"], 1,
     "--checkpoint 'runs' is a directory; give a file name, e.g. "
     + repr(os.path.join("runs", "model.ckpt"))),
    (["train", "--no-checkpoint", "--plot", "pics.png"], 1,
     "--plot 'pics.png' is a directory"),
    (["train", "--no-checkpoint", "--plot", "out.txt"], 2,
     "argument --plot: cannot tell the picture format of 'out.txt'"),
    (["compare", "--plot", "out.txt"], 2,
     "argument --plot: cannot tell the picture format of 'out.txt'"),
    (["compare", "--plot", "notes.md/curves.png"], 1,
     "the folder 'notes.md' is not a directory"),
    (["compare", "--no-plot", "--json", "missing_dir/x.json"], 1,
     "--json 'missing_dir/x.json': the folder 'missing_dir' does not exist"),
], ids=["checkpoint-folder-missing", "checkpoint-is-folder", "plot-is-folder",
        "train-plot-format", "compare-plot-format", "plot-under-a-file",
        "json-folder-missing"])
def test_output_paths_are_checked_before_any_work(tmp_path, args, status, message):
    (tmp_path / "runs").mkdir()
    (tmp_path / "pics.png").mkdir()
    (tmp_path / "notes.md").write_text("not a folder\n")
    r = run(args + ["--epochs", "2", "--samples", "60", "--backend", "numpy",
                    "--hidden", "4"], tmp_path)
    assert r.returncode == status, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""  # refused before any training started
    assert sorted(os.listdir(tmp_path)) == ["notes.md", "pics.png", "runs"]
    assert os.listdir(tmp_path / "runs") == os.listdir(tmp_path / "pics.png") == []


def test_train_divergence_exits_1_with_advice(tmp_path):
    r = run(["train", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "3",
             "--backend", "numpy", "--no-checkpoint"], tmp_path)
    assert r.returncode == 1
    assert "try a smaller --lr" in r.stderr


# ------------------------------------------------------------------ paths
def test_paths_table_and_pictures(tmp_path):
    r = run(["paths", "--surface", "ravine", "--steps", "30",
             "--optimizers", "sgd,momentum,adam", "--per-optimizer",
             "--out-dir", "pics"], tmp_path)
    assert r.returncode == 0, r.stderr
    rows = table_rows(r.stdout)
    assert list(rows) == ["SGD", "Momentum", "Adam"]
    start_gap = (-7.0) ** 2 / 50 + 2.0 ** 2
    for cells in rows.values():
        assert 0 <= float(cells[-2]) < start_gap   # every one went downhill
    for name in ("paths-ravine", "paths-sgd", "paths-momentum", "paths-adam"):
        assert is_png(tmp_path / "pics" / f"{name}.png")


def test_paths_all_surfaces_table_only(tmp_path):
    r = run(["paths", "--steps", "5", "--no-plot"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("optimizer") == 3
    assert not (tmp_path / "paths-ravine.png").exists()


# ------------------------------------------------------------------ graph
def test_graph_dot_to_stdout(tmp_path):
    r = run(["graph", "--format", "dot", "-o", "-"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("digraph minigrad {")
    assert r.stdout.count("->") == 14 and "tanh" in r.stdout
    assert "15 nodes, 14 edges" in r.stderr


def test_graph_of_a_model_spec(tmp_path):
    r = run(["graph", "--model", "2,4,1", "--format", "dot", "-o", "m.dot"],
            tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "m.dot").read_text()
    assert text.count("[parameter]") == 4 and "0.weight" in text


def test_graph_without_dot_program_falls_back_to_dot_text(tmp_path):
    r = run(["graph", "-o", "g.png"], tmp_path, env={"PATH": "/nonexistent"})
    assert r.returncode == 0, r.stderr
    assert "apt-get install graphviz" in r.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert not (tmp_path / "g.png").exists()


@pytest.mark.skipif(shutil.which("dot") is None,
                    reason="the Graphviz dot program is not installed")
def test_graph_renders_svg_and_png(tmp_path):
    for name in ("g.svg", "g.png"):
        r = run(["graph", "--model", "2,3,2", "-o", name], tmp_path)
        assert r.returncode == 0, r.stderr
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert is_png(tmp_path / "g.png")


# ---------------------------------------------------------- bad arguments
@pytest.mark.parametrize("args, expected", [
    (["compare", "--optimizers", "adam,nadam"],
     "unknown optimizer 'nadam' (choose from sgd, momentum"),
    (["compare", "--dataset", "mnist"], "invalid choice: 'mnist' (choose from"),
    (["compare", "--lr", "adam=fast"], "bad learning rate 'fast'"),
    (["compare", "--lr", "adam=-1"], "learning rate must be positive"),
    (["compare", "--epochs", "0"], "expected a positive integer, got 0"),
    (["compare", "--backend", "tpu"], "invalid choice: 'tpu'"),
    (["train", "--optimizer", "adamax"], "unknown optimizer 'adamax'"),
    (["paths", "--surface", "himmelblau"],
     "invalid choice: 'himmelblau' (choose from 'all', 'ravine'"),
    (["graph", "--model", "2,x,1"], "expected layer sizes like 2,16,16,1"),
    (["graph", "-o", "graph.jpg"], "cannot tell the format from 'graph.jpg'"),
    (["fit"], "invalid choice: 'fit' (choose from"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_arguments_exit_2_and_name_the_valid_choices(tmp_path, args,
                                                         expected):
    r = run(args, tmp_path, timeout=60)
    assert r.returncode == 2
    assert expected in r.stderr, r.stderr
    assert "usage: minigrad" in r.stderr and "Traceback" not in r.stderr


def test_console_script_is_the_same_entry_point(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "minigrad")
    if not os.path.exists(script):
        pytest.skip("minigrad is not installed as a console script here")
    r = subprocess.run([script, "--version"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == f"minigrad {mg.__version__}"
