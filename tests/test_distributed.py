"""Data-parallel training (minigrad.distributed) and the sharded DataLoader.

The sharding tests need nothing. The rest need mpi4py (the ``mpi`` extra);
the multi-rank ones launch ``mpiexec -n 2`` / ``-n 3`` on the programs in
tests/mpi_programs.py, one thread per rank (the CI machine has two cores).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn
from minigrad.data import DataLoader

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "mpi_programs.py"
RULES = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "lamb")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}


# ------------------------------------------------------------ sharding
def _rows(loader):
    """The row indices a loader yields, batch by batch (X holds the index)."""
    return [xb.data[:, 0].astype(int).tolist() for xb, _ in loader]


def _indexed(n):
    return np.arange(n, dtype=np.float64)[:, None], np.zeros(n, np.int64)


@pytest.mark.parametrize("n, b, world", [(100, 8, 1), (100, 8, 2), (100, 7, 3),
                                         (96, 8, 4), (50, 25, 2)])
def test_n_ranks_see_exactly_the_global_batches_of_one_loader(n, b, world):
    X, y = _indexed(n)
    single = DataLoader(X, y, b * world, seed=4, drop_last=world > 1)
    shards = [DataLoader(X, y, b, seed=4, rank=r, world_size=world)
              for r in range(world)]
    for _ in range(3):  # several epochs: a fresh permutation each
        expected = _rows(single)
        per_rank = [_rows(s) for s in shards]
        assert all(len(rows) == len(expected) for rows in per_rank)
        for step, batch in enumerate(expected):
            slices = [per_rank[r][step] for r in range(world)]
            assert all(len(s) == len(batch) // world for s in slices)
            assert sum(slices, []) == batch  # rank r holds slice r, in order


@given(n=st.integers(1, 120), b=st.integers(1, 9), world=st.integers(2, 5),
       seed=st.integers(0, 2**32), shuffle=st.booleans())
@settings(max_examples=60, deadline=None, derandomize=True)
def test_sharding_property_any_size_and_seed(n, b, world, seed, shuffle):
    """Random sizes: the ranks' slices, put side by side, are one loader's
    global batches (drop_last), or the loader refuses a too-small data set."""
    X, y = _indexed(n)
    if n < b * world:
        with pytest.raises(ValueError, match="fewer than one global batch"):
            DataLoader(X, y, b, seed=seed, rank=0, world_size=world)
        return
    single = _rows(DataLoader(X, y, b * world, seed=seed, shuffle=shuffle,
                              drop_last=True))
    per_rank = [_rows(DataLoader(X, y, b, seed=seed, shuffle=shuffle, rank=r,
                                 world_size=world)) for r in range(world)]
    assert [sum(parts, []) for parts in zip(*per_rank)] == single
    assert all(len(rows) == n // (b * world) for rows in per_rank)


def test_sharded_loader_drops_the_short_last_global_batch():
    X, y = _indexed(50)
    loader = DataLoader(X, y, 8, seed=0, rank=1, world_size=2)
    assert len(loader) == 3  # 50 // 16; the 2 leftover rows are left out
    assert len(DataLoader(X, y, 8, seed=0)) == 7  # one process keeps them


def test_sharded_loader_refuses_a_data_set_smaller_than_one_global_batch():
    X, y = _indexed(20)
    with pytest.raises(ValueError, match=r"20 rows, fewer than one global "
                                         r"batch of .* 8 \* 3 = 24"):
        DataLoader(X, y, 8, rank=0, world_size=3)


@pytest.mark.parametrize("rank, world, error", [(2, 2, ValueError),
                                                (-1, 2, ValueError),
                                                (0, 0, ValueError),
                                                (0, 1.5, TypeError)])
def test_sharded_loader_rejects_bad_rank_or_world_size(rank, world, error):
    X, y = _indexed(20)
    with pytest.raises(error, match="rank|world_size"):
        DataLoader(X, y, 2, rank=rank, world_size=world)


def test_sharded_loader_state_names_world_size_and_refuses_another():
    X, y = _indexed(64)
    loader = DataLoader(X, y, 4, seed=1, rank=1, world_size=2)
    it = iter(loader)
    next(it), next(it)
    state = loader.state_dict()
    assert state["world_size"] == 2 and "rank" not in state
    other_rank = DataLoader(X, y, 4, seed=9, rank=0, world_size=2)
    other_rank.load_state_dict(state)  # every rank resumes from rank 0's state
    assert other_rank.state_dict() == state
    with pytest.raises(ValueError, match="world_size=2 .* world_size=4"):
        DataLoader(X, y, 4, rank=0, world_size=4).load_state_dict(state)
    plain = DataLoader(X, y, 4, seed=1)
    assert "world_size" not in plain.state_dict()  # old checkpoints still load
    with pytest.raises(ValueError, match="world_size"):
        plain.load_state_dict(state)


# ------------------------------------------------- one process, no mpiexec
def _python(code, env=None):
    environment = {**os.environ, **ONE_THREAD, **(env or {})}
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120, env=environment, cwd=HERE)


def test_init_without_mpi4py_names_the_extra_to_install():
    r = _python("import sys; sys.modules['mpi4py'] = None\n"
                "from minigrad import distributed as dist\n"
                "try:\n    dist.init()\n"
                "except ImportError as exc:\n    print('ERR', exc)\n")
    assert r.returncode == 0, r.stderr
    assert "ERR minigrad.distributed needs MPI" in r.stdout
    assert 'pip install "minigrad[mpi]"' in r.stdout


def test_importing_minigrad_distributed_does_not_import_mpi4py():
    r = _python("import sys, minigrad.distributed\n"
                "print('mpi4py' in sys.modules)")
    assert r.returncode == 0 and r.stdout.strip() == "False", r.stderr


def test_rank_before_init_says_to_call_init():
    pytest.importorskip("mpi4py")
    r = _python("from minigrad import distributed as dist\n"
                "try:\n    dist.rank()\n"
                "except RuntimeError as exc:\n    print('ERR', exc)\n")
    assert "ERR minigrad.distributed is not initialised: call dist.init()" \
        in r.stdout, r.stderr


@pytest.fixture(scope="module")
def dist():
    pytest.importorskip("mpi4py")
    from minigrad import distributed

    distributed.init()  # a plain process is a world of one
    return distributed


def test_init_is_idempotent_and_a_plain_process_is_rank_0_of_1(dist):
    assert dist.init() is dist.init()
    assert (dist.rank(), dist.size(), dist.is_root()) == (0, 1, True)
    dist.barrier()


def test_allreduce_of_one_rank(dist):
    a = np.array([[1, 2], [3, 4]])
    mean = dist.allreduce(a)
    assert mean.dtype == np.float64 and np.array_equal(mean, a)
    assert dist.allreduce(a, "sum").dtype == a.dtype
    assert dist.allreduce(np.float32(2.5), "max").shape == ()
    out = dist.allreduce(mg.Tensor(np.ones(3, np.float32)), "min")
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="op must be one of mean, sum, max, "
                                         "min, got 'prod'"):
        dist.allreduce(a, "prod")


def _mlp():
    mg.manual_seed(0)
    return nn.MLP([3, 5, 2])


def test_one_rank_distributed_optimizer_is_the_wrapped_optimizer(dist):
    from minigrad.nn import functional as F
    from minigrad.optim import Adam, lr_scheduler

    X = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    finals = []
    for wrap in (False, True):
        model = _mlp()
        opt = Adam(model.parameters(), lr=0.01)
        if wrap:
            opt = dist.DistributedOptimizer(opt)
        sched = lr_scheduler.StepLR(opt, 2, gamma=0.5)  # works on the wrapper
        for _ in range(5):
            opt.zero_grad()
            F.cross_entropy(model(mg.Tensor(X)), mg.Tensor(y)).backward()
            opt.step()
            sched.step()
        finals.append((np.concatenate([p.data.ravel() for p in
                                       model.parameters()]),
                       opt.state_dict(), opt.param_groups[0]["lr"]))
    assert np.array_equal(finals[0][0], finals[1][0])
    assert finals[0][2] == finals[1][2] == 0.0025
    assert finals[0][1]["state"].keys() == finals[1][1]["state"].keys()


def test_distributed_optimizer_forwards_settings_to_the_wrapped_one(dist):
    from minigrad.optim import SGD

    inner = SGD(_mlp().parameters(), lr=0.1)
    opt = dist.DistributedOptimizer(inner)
    opt.on_nonfinite = "skip"
    assert inner.on_nonfinite == "skip" and opt.param_groups is inner.param_groups
    with pytest.raises(TypeError, match="wraps an optimizer"):
        dist.DistributedOptimizer(_mlp())
    with pytest.raises(TypeError, match="already a DistributedOptimizer"):
        dist.DistributedOptimizer(opt)


def test_broadcast_parameters_checks_root(dist):
    with pytest.raises(ValueError, match=r"root must be a rank in 0\.\.0, got 1"):
        dist.broadcast_parameters(_mlp(), root=1)


# ------------------------------------------------------- N ranks, mpiexec
def _mpiexec():
    pytest.importorskip("mpi4py")
    here = Path(sys.executable).parent  # a venv's bin holds the mpich wheel's
    found = shutil.which("mpiexec", path=f"{here}{os.pathsep}"
                                         f"{os.environ.get('PATH', '')}")
    if found is None:
        pytest.skip("no mpiexec (pip install \"minigrad[mpi]\" brings one)")
    return found


def mpirun(n, *args, timeout=240, cwd=HERE):
    """Run ``mpiexec -n n python <args>``; kill the whole group on timeout so
    a hang fails the test instead of stalling the suite."""
    cmd = [_mpiexec(), "-n", str(n), sys.executable, *map(str, args)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **ONE_THREAD},
                            cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mpiexec -n {n} {args} hung for {timeout} s:\n{out}\n{err}")
    return proc.returncode, out, err, time.time()


def result(n, *args):
    code, out, err, _ = mpirun(n, PROGRAMS, *args)
    assert code == 0, f"{out}\n{err}"
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, out  # only rank 0 reports
    return json.loads(lines[0][len("RESULT "):])


@pytest.mark.parametrize("n", [2, 3])
def test_n_ranks_equal_one_process_with_the_global_batch(n):
    """Every rule, float64, 30 steps with a warmup schedule on the wrapper;
    ranks start from different weights, so broadcast_parameters is tested."""
    out = result(n, "equivalence", "cpu")
    assert sorted(out) == sorted(RULES)
    for rule, r in out.items():
        assert r["vs_single"] < 1e-12, (rule, r)
        assert r["across_ranks"] == 0.0, (rule, r)  # replicas stay identical
        assert r["allreduce_calls"] == 30, (rule, r)  # one per step (one dtype)


def test_one_allreduce_per_dtype_gives_the_mean():
    out = result(3, "buckets")
    assert out["calls"] == 2 * 3  # float32 and float64, 3 steps
    assert out["a"] == [out["expected_a"]] * 3
    assert out["b"] == [[out["expected_b"]] * 2] * 2
    assert np.allclose(out["c"], out["expected_c"])  # None on 2 ranks = zero
    assert out["d_grad_is_none"]  # no rank had a gradient: skipped


@pytest.mark.parametrize("mode", ["skip", "raise"])
def test_a_nan_on_one_rank_is_refused_on_every_rank(mode):
    out = result(2, "nonfinite", mode)
    for rank in out["ranks"]:
        assert rank == ({"raised": False, "skipped": 1} if mode == "skip"
                        else {"raised": True, "skipped": 0})
    assert out["across_ranks"] == 0.0


def test_ranks_that_build_different_models_all_get_the_same_error():
    messages = result(2, "shapes")["messages"]
    expected = ("the ranks disagree on the parameters: parameter 0 is (16, 5) "
                "float64 on rank 0 but (17, 5) float64 on rank 1; every rank "
                "must build the same model")
    for per_rank in messages:
        assert per_rank[0] == "broadcast_parameters: " + expected
        assert per_rank[1] == "DistributedOptimizer: " + expected


def test_resume_from_rank_0s_snapshot_equals_an_unbroken_run(tmp_path):
    out = result(3, "resume", tmp_path / "run.ckpt")
    assert out == {"vs_straight": 0.0, "across_ranks": 0.0}


@pytest.mark.parametrize("n", [2, 3])
def test_a_rank_that_raises_stops_every_rank_within_seconds(n):
    code, out, err, ended = mpirun(n, PROGRAMS, "failure", timeout=120)
    assert code != 0
    raised = [float(line.split()[1]) for line in out.splitlines()
              if line.startswith("RAISED_AT ")]
    assert len(raised) == 1
    assert ended - raised[0] < 10, f"took {ended - raised[0]:.1f} s to stop"
    assert "[rank 1] RuntimeError: boom on rank 1" in err
    assert f"unhandled RuntimeError: aborting all {n} ranks" in err


def test_abort_prints_its_message_and_stops_every_rank():
    start = time.time()
    code, out, err, ended = mpirun(2, PROGRAMS, "abort", timeout=120)
    assert code != 0 and ended - start < 50  # rank 0 would sleep 60 s
    assert "[rank 1] stop here" in err


# ------------------------------------------------------- the command line
def _checkpoint_params(path):
    state = mg.load(path)
    return np.concatenate([np.ravel(v) for _, v in sorted(state["model"].items())])


def test_train_distributed_on_2_ranks_ends_where_one_process_ends(tmp_path):
    """480 training points: 32 and 2 x 16 both divide them, so no batch is
    left out and the two runs see the same batches (float32: to 1e-5)."""
    common = ["-m", "minigrad", "train", "--samples", "640", "--epochs", "3",
              "--no-progress"]
    code, out, err, _ = mpirun(2, *common, "--distributed", "--batch-size",
                               "16", "--checkpoint", tmp_path / "two.ckpt")
    assert code == 0, err
    assert out.count("checkpoint saved") == 1  # rank 0 alone writes
    assert "2 processes (global batch 32)" in out
    single = subprocess.run(
        [sys.executable, *common, "--batch-size", "32", "--checkpoint",
         str(tmp_path / "one.ckpt")], capture_output=True, text=True,
        timeout=300, env={**os.environ, **ONE_THREAD})
    assert single.returncode == 0, single.stderr
    two = _checkpoint_params(tmp_path / "two.ckpt")
    one = _checkpoint_params(tmp_path / "one.ckpt")
    assert np.abs(two - one).max() < 1e-5


def test_train_under_mpiexec_without_distributed_refuses():
    code, out, err, _ = mpirun(2, "-m", "minigrad", "train", "--epochs", "1",
                               "--no-checkpoint")
    assert code != 0
    assert "without --distributed, so each would run the whole job alone" in err


def test_train_distributed_on_too_little_data_stops_all_ranks_with_the_reason():
    code, out, err, _ = mpirun(2, "-m", "minigrad", "train", "--distributed",
                               "--samples", "20", "--batch-size", "16",
                               "--no-checkpoint", timeout=120)
    assert code != 0
    assert ("minigrad train: error: ValueError: the data set has 15 rows, "
            "fewer than one global batch of batch_size * world_size = 16 * 2 "
            "= 32") in err


def test_train_distributed_without_mpi4py_is_a_clear_error(tmp_path):
    code = ("import sys; sys.modules['mpi4py'] = None\n"
            "from minigrad.cli import main\n"
            "sys.exit(main(['train', '--distributed', '--epochs', '1', "
            "'--no-checkpoint']))")
    r = _python(code)
    assert r.returncode == 1
    assert "minigrad train: error: minigrad.distributed needs MPI" in r.stderr


# ------------------------------------------------ the large-batch experiment
def test_largebatch_rules_and_batch_sizes():
    from minigrad.distributed import largebatch as lb

    assert lb.scaled_lr(0.1, 32, "linear") == lb.scaled_lr(0.1, 32, "sqrt") == 0.1
    assert lb.scaled_lr(0.1, 128, "linear") == pytest.approx(0.4)
    assert lb.scaled_lr(0.1, 128, "sqrt") == pytest.approx(0.2)
    with pytest.raises(ValueError, match="rule must be one of linear, sqrt"):
        lb.scaled_lr(0.1, 64, "cubic")
    assert lb.batch_sizes(40_000) == [32, 128, 512, 2048, 8192, 32768, 40_000]


def test_largebatch_problem_is_fixed_by_its_seed_and_has_ten_classes():
    from minigrad.distributed import largebatch as lb

    a, b = lb.make_problem(2000, seed=3), lb.make_problem(2000, seed=3)
    assert np.array_equal(a.X_train, b.X_train)
    assert np.array_equal(a.y_test, b.y_test)
    assert (len(a.X_train), len(a.X_test), a.n_classes) == (1600, 400, 10)
    assert a.X_train.dtype == np.float32 and a.X_train.shape[1] == 20
    assert set(np.unique(np.concatenate([a.y_train, a.y_test]))) == set(range(10))


def test_largebatch_table_is_mean_min_max_over_seeds():
    from minigrad.distributed import largebatch as lb

    rows = [{"optimizer": "lamb", "rule": "sqrt", "batch": 32, "seed": s,
             "test_acc": acc} for s, acc in enumerate([0.5, 0.7, 0.6])]
    table = lb.format_table(rows)
    assert "| lamb | sqrt | 0.600 (0.500-0.700) |" in table
    assert "mean (min-max) over 3 seeds" in table


def _largebatch(tmp_path, name, ranks=None):
    args = ["-m", "minigrad", "largebatch", "--samples", "800", "--epochs",
            "1", "--seeds", "2", "--batch-sizes", "32,0", "--optimizers",
            "adam,lamb", "--json", tmp_path / name, "--plot",
            tmp_path / f"{name}.png"]
    if ranks:
        code, out, err, _ = mpirun(ranks, *args, "--distributed")
    else:
        r = subprocess.run([sys.executable, *map(str, args)], text=True,
                           capture_output=True, timeout=300,
                           env={**os.environ, **ONE_THREAD})
        code, out, err = r.returncode, r.stdout, r.stderr
    assert code == 0, err
    return out, json.loads((tmp_path / name).read_text())


def test_largebatch_command_makes_its_table_json_and_plot(tmp_path):
    out, one = _largebatch(tmp_path, "one.json")
    assert "held-out accuracy, mean (min-max) over 2 seeds" in out
    # 2 optimizers x 2 rules x 2 batch sizes x 2 seeds
    assert len(one["rows"]) == 16
    assert {r["batch"] for r in one["rows"]} == {32, 640}
    base = [r for r in one["rows"] if r["batch"] == 32]  # one run, both rules
    for rule_a, rule_b in zip(base[:2], base[2:4]):
        assert rule_a["test_acc"] == rule_b["test_acc"]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "one.json.png").stat().st_size > 0


@pytest.mark.slow
def test_largebatch_over_2_ranks_gives_the_single_process_numbers(tmp_path):
    _, one = _largebatch(tmp_path, "one.json")
    _, two = _largebatch(tmp_path, "two.json", ranks=2)
    assert two["settings"]["processes"] == 2
    for a, b in zip(one["rows"], two["rows"]):
        assert (a["optimizer"], a["rule"], a["batch"], a["seed"], a["steps"]) \
            == (b["optimizer"], b["rule"], b["batch"], b["seed"], b["steps"])
        # float32 rounding may flip a prediction: 160 held-out points
        assert abs(a["test_acc"] - b["test_acc"]) <= 2 / 160


def test_the_example_on_2_ranks_matches_one_process():
    example = HERE.parent / "examples" / "data_parallel.py"
    code, out, err, _ = mpirun(2, example, "--epochs", "3")
    assert code == 0, err
    assert "2 rank(s) x batch 16 = global batch 32" in out
    gap = float(out.rsplit("largest parameter difference", 1)[1])
    assert gap < 1e-12
