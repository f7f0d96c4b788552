"""Resuming from a checkpoint is exact.

Three real processes per backend, each running all seven optimizers:

1. ``full``: N steps without interruption; writes the final parameters.
2. ``part``: trains, and at step K (mid-epoch, inside the loop) does
   ``mg.save`` of model + optimizer + scheduler + DataLoader state, one file
   per optimizer; then keeps training until the test SIGKILLs it.
3. ``resume``: builds everything from a *different* seed (so nothing can come
   from the initialisation), loads the checkpoint, trains to step N and writes
   the final parameters.

The final parameters of 1 and 3 must be bit-identical.
"""
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minigrad as mg

pytest.importorskip("minigrad.nn")
pytest.importorskip("minigrad.optim")

TOTAL_STEPS, CHECKPOINT_STEP = 20, 11  # 8 batches per epoch: K is mid-epoch

WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    import minigrad as mg
    from minigrad import nn, optim
    from minigrad.data import DataLoader, make_moons
    from minigrad.nn import functional as F
    from minigrad.optim import lr_scheduler as sched

    mode, backend, checkpoint, out = sys.argv[1:5]
    TOTAL, K = int(sys.argv[5]), int(sys.argv[6])
    RULES = {
        "SGD": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True,
                                   weight_decay=1e-3, backend=backend),
        "Momentum": lambda p: optim.Momentum(p, lr=0.1, backend=backend),
        "AdaGrad": lambda p: optim.AdaGrad(p, lr=0.1, lr_decay=0.01,
                                           backend=backend),
        "RMSProp": lambda p: optim.RMSProp(p, lr=0.01, momentum=0.5,
                                           centered=True, backend=backend),
        "Adam": lambda p: optim.Adam(p, lr=0.01, amsgrad=True, backend=backend),
        "AdamW": lambda p: optim.AdamW(p, lr=0.01, backend=backend),
        "LAMB": lambda p: optim.LAMB(p, lr=0.01, weight_decay=0.01,
                                     backend=backend),
    }
    SCHEDULES = {
        "SGD": lambda o: sched.StepLR(o, step_size=3, gamma=0.5),
        "Momentum": lambda o: sched.CosineAnnealingLR(o, T_max=15, eta_min=1e-3),
        "LAMB": lambda o: sched.LinearWarmup(
            o, warmup_steps=5, after=sched.CosineAnnealingLR(o, T_max=15)),
    }

    def build(name, seed):
        mg.manual_seed(seed)
        model = nn.MLP([2, 16, 16, 2])
        opt = RULES[name](model.parameters())
        scheduler = SCHEDULES.get(name, lambda o: sched.StepLR(o, 4, 0.7))(opt)
        X, y = make_moons(60, noise=0.1, seed=0)
        loader = DataLoader(X.astype(np.float32), y, batch_size=8, shuffle=True,
                            seed=seed + 100)
        return model, opt, scheduler, loader

    def train(run, step, stop, on_step=None):
        model, opt, scheduler, loader = run
        while step < stop:
            for xb, yb in loader:
                loss = F.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                scheduler.step()
                step += 1
                if on_step is not None:
                    on_step(step)
                if step == stop:
                    break
        return step

    def state(run):
        model, opt, scheduler, loader = run
        return {"model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": scheduler.state_dict(), "loader": loader.state_dict()}

    runs = {name: build(name, seed=1) for name in RULES}
    if mode == "full":
        for run in runs.values():
            train(run, 0, TOTAL)
    elif mode == "part":
        for name, run in runs.items():
            def checkpoint_at_k(step, name=name, run=run):
                if step == K:  # inside the loop, mid-epoch, as users do
                    mg.save({"step": K, **state(run)}, f"{checkpoint}.{name}")
            train(run, 0, TOTAL, on_step=checkpoint_at_k)
        print("saved", flush=True)
        while True:  # go on working until killed
            for run in runs.values():
                train(run, 0, 10)
    elif mode == "resume":
        runs = {name: build(name, seed=2) for name in RULES}  # not the same init
        for name, (model, opt, scheduler, loader) in runs.items():
            saved = mg.load(f"{checkpoint}.{name}")
            model.load_state_dict(saved["model"])
            opt.load_state_dict(saved["optimizer"])
            scheduler.load_state_dict(saved["scheduler"])
            loader.load_state_dict(saved["loader"])
            train(runs[name], saved["step"], TOTAL)
    mg.save({name: run[0].state_dict() for name, run in runs.items()}, out)
    """
)


def _run(tmp_path, mode, backend):
    args = [sys.executable, str(tmp_path / "worker.py"), mode, backend,
            str(tmp_path / "ckpt.npz"), str(tmp_path / f"{mode}.npz"),
            str(TOTAL_STEPS), str(CHECKPOINT_STEP)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish(process, timeout=240):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_resume_after_kill_is_bit_identical(tmp_path, backend):
    (tmp_path / "worker.py").write_text(WORKER)
    full = _run(tmp_path, "full", backend)
    _finish(full)
    part = _run(tmp_path, "part", backend)
    try:
        line = part.stdout.readline()
        assert line.strip() == "saved", part.stderr.read()[-3000:]
        part.send_signal(signal.SIGKILL)  # mid-training, after the checkpoint
        part.wait(timeout=60)
    finally:
        part.kill()
        part.communicate()
    assert part.returncode == -signal.SIGKILL
    assert not (tmp_path / "part.npz").exists()
    _finish(_run(tmp_path, "resume", backend))

    uninterrupted = mg.load(tmp_path / "full.npz")
    resumed = mg.load(tmp_path / "resume.npz")
    assert sorted(uninterrupted) == sorted(resumed) and len(resumed) == 7
    for name in uninterrupted:
        for key, value in uninterrupted[name].items():
            other = resumed[name][key]
            assert value.dtype == other.dtype and value.shape == other.shape
            assert value.tobytes() == other.tobytes(), (
                f"{name} ({backend}): {key} differs after resuming, max |diff| "
                f"{np.max(np.abs(value.astype(float) - other.astype(float)))}"
            )
    # and the runs did move away from where they started
    for name in uninterrupted:
        initial = mg.load(tmp_path / f"ckpt.npz.{name}")
        assert initial["loader"]["batch"] == CHECKPOINT_STEP % 8  # mid-epoch
        moved = [not np.array_equal(v, initial["model"][k])
                 for k, v in uninterrupted[name].items()]
        assert any(moved), name
