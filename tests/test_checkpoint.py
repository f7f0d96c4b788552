"""``mg.snapshot`` / ``mg.restore``: one checkpoint for a whole training run,
restored all or nothing, and resumed bit for bit."""
import doctest

import numpy as np
import pytest

import minigrad as mg
from minigrad import checkpoint, nn, optim
from minigrad.data import DataLoader, make_moons
from minigrad.nn import functional as F
from minigrad.optim import lr_scheduler as sched

RULES = {
    "Adam": lambda p, backend: optim.Adam(p, lr=0.01, amsgrad=True,
                                          backend=backend),
    "LAMB": lambda p, backend: optim.LAMB(p, lr=0.01, weight_decay=0.01,
                                          backend=backend),
}


def build(seed, sizes=(2, 8, 8, 2), rule="Adam", backend="numpy"):
    """model, optimizer, scheduler, loader -- everything a run has."""
    mg.manual_seed(seed)
    model = nn.MLP(list(sizes))
    opt = RULES[rule](model.parameters(), backend)
    scheduler = sched.LinearWarmup(opt, 3, after=sched.CosineAnnealingLR(opt, 20))
    X, y = make_moons(40, noise=0.1, seed=0)
    loader = DataLoader(X.astype(np.float32), y, batch_size=8, seed=seed + 1)
    return {"model": model, "optimizer": opt, "scheduler": scheduler,
            "loader": loader}


def steps(run, count):
    """Train ``count`` steps; yield a copy of the parameters after each."""
    model, opt = run["model"], run["optimizer"]
    done = 0
    while done < count:
        for xb, yb in run["loader"]:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run["scheduler"].step()
            done += 1
            yield [p.data.copy() for p in model.parameters()]
            if done == count:
                return


def train(run, count):
    for _ in steps(run, count):
        pass
    return run


def fingerprint(run):
    """Everything observable about a run, as bytes where it is an array."""
    def freeze(value):
        if isinstance(value, np.ndarray):
            return (value.dtype.str, value.shape, value.tobytes())
        if isinstance(value, dict):
            return tuple((str(k), freeze(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return tuple(freeze(v) for v in value)
        return repr(value)

    opt = run["optimizer"]
    groups = [{k: v for k, v in g.items() if k != "params"}
              for g in opt.param_groups]
    return freeze({
        "params": [p.data for p in run["model"].parameters()],
        "optimizer": opt.state_dict(), "groups": groups,
        "scheduler": run["scheduler"].state_dict(),
        "lr": run["scheduler"].get_last_lr(),
        "loader": run["loader"].state_dict(),
        "next batch order": run["loader"].order(run["loader"].epoch),
    })


def saved_elsewhere(**changes):
    """A valid snapshot of another run (other values), with parts replaced."""
    state = mg.snapshot(**train(build(seed=7), 6))
    state.update(changes)
    return state


def test_snapshot_holds_each_state_dict_under_its_name():
    run = train(build(seed=0), 3)
    state = mg.snapshot(**run)
    assert list(state) == ["model", "optimizer", "scheduler", "loader"]
    assert state["loader"] == run["loader"].state_dict()
    before = fingerprint(run)
    mg.restore(state, **run)
    assert fingerprint(run) == before


@pytest.mark.parametrize("other_sizes", [
    pytest.param((2, 5, 8, 2), id="shape"),
    pytest.param((2, 8, 2), id="count"),
])
def test_a_mismatched_optimizer_part_changes_nothing(other_sizes):
    run = train(build(seed=0), 5)
    other = train(build(1, sizes=other_sizes), 2)
    state = saved_elsewhere(optimizer=other["optimizer"].state_dict())
    before = fingerprint(run)
    ids = [id(p.data) for p in run["model"].parameters()]
    with pytest.raises(ValueError, match="'optimizer'"):
        mg.restore(state, **run)
    assert fingerprint(run) == before
    # and the same checkpoint with a fitting part loads, in place
    mg.restore(saved_elsewhere(), **run)
    assert fingerprint(run) != before
    assert [id(p.data) for p in run["model"].parameters()] == ids


@pytest.mark.parametrize("part, bad, error", [
    ("model", {"layers.0.weight": np.zeros((3, 3), np.float32)}, KeyError),
    ("scheduler", {"last_epoch": -1}, ValueError),
    ("loader", {"seed": 0, "epoch": 0, "batch": 99, "shuffle": True,
                "batch_size": 8, "n_samples": 40}, ValueError),
])
def test_any_bad_part_changes_no_object(part, bad, error):
    run = train(build(seed=0), 4)
    before = fingerprint(run)
    with pytest.raises(error, match=repr(part)):
        mg.restore(saved_elsewhere(**{part: bad}), **run)
    assert fingerprint(run) == before


def test_unknown_and_missing_keys_are_named():
    run = train(build(seed=0), 2)
    before = fingerprint(run)
    state = saved_elsewhere(epochs=3)
    with pytest.raises(KeyError, match="epochs"):
        mg.restore(state, **run)
    del state["loader"]
    with pytest.raises(KeyError, match="loader"):
        mg.restore(state, strict=False, **run)
    assert fingerprint(run) == before
    # strict=False skips entries that are settings, not objects
    state = saved_elsewhere(epochs=3)
    mg.restore(state, strict=False, **run)
    assert run["loader"].state_dict() == state["loader"]


def test_an_object_that_cannot_be_checked_is_refused_up_front():
    run = train(build(seed=0), 2)
    before = fingerprint(run)
    state = saved_elsewhere(extra={"a": 1})

    class Counter:
        def state_dict(self):
            return {"a": 1}

        def load_state_dict(self, state):
            pass

    with pytest.raises(TypeError, match="extra=Counter has no check_state_dict"):
        mg.restore(state, **run, extra=Counter())
    assert fingerprint(run) == before
    with pytest.raises(TypeError, match="must be a dict"):
        mg.restore([("model", {})], model=run["model"])
    with pytest.raises(TypeError, match="at least one object"):
        mg.snapshot()


def test_a_schedule_that_would_overflow_is_refused_before_loading():
    opt = optim.SGD(nn.MLP([2, 2]).parameters(), lr=1.0)
    scheduler = sched.StepLR(opt, step_size=1, gamma=1e300)
    state = dict(scheduler.state_dict(), last_epoch=5)  # lr = 1e1500
    before = (scheduler.state_dict(), scheduler.get_last_lr(),
              opt.param_groups[0]["lr"])
    with pytest.raises(ValueError, match="finite"):
        scheduler.load_state_dict(state)
    assert (scheduler.state_dict(), scheduler.get_last_lr(),
            opt.param_groups[0]["lr"]) == before


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
@pytest.mark.parametrize("rule", ["Adam", "LAMB"])
def test_save_load_restore_resumes_bit_for_bit_in_lockstep(rule, backend, tmp_path):
    total, saved_at = 14, 7  # 5 batches per epoch: the save is mid-epoch
    original = build(seed=0, rule=rule, backend=backend)
    running = steps(original, total)  # one loop: the loader stays mid-epoch
    for _ in range(saved_at):
        next(running)
    mg.save(mg.snapshot(**original), str(tmp_path / "run.ckpt"))
    expected = list(running)

    resumed = build(seed=3, rule=rule, backend=backend)  # nothing from the init
    mg.restore(mg.load(str(tmp_path / "run.ckpt")), **resumed)
    for step, (want, got) in enumerate(zip(expected, steps(resumed, total - saved_at), strict=True)):
        for a, b in zip(want, got):
            assert a.tobytes() == b.tobytes(), f"differs at step {saved_at + step}"
    assert step == total - saved_at - 1
    assert fingerprint(resumed) == fingerprint(original)


def test_the_module_docstring_example_runs():
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner()
    for test in finder.find(checkpoint, "minigrad.checkpoint"):
        runner.run(test)
    assert runner.summarize(verbose=False).attempted > 0
    assert runner.summarize(verbose=False).failed == 0
