"""Recorded optimizer trajectories: every rule x options x dtype x backend.

``python tests/optim_golden.py`` runs every configuration below for a few
steps and writes what the parameters and every state buffer held after each
step to ``tests/data/optim_golden.npz`` -- a SHA-256 digest per step, and the
last step's values in full -- (the cuda backend in Numba's simulator, in a
subprocess with ``NUMBA_ENABLE_CUDASIM=1``). ``tests/test_optim_golden.py``
replays them and asserts the same bits, so a change of how the optimizers are
organised cannot change a number unnoticed. Record again only when a number
is meant to change, and say why in the commit.
"""
import hashlib
import os
import subprocess
import sys

import numpy as np

STEPS = 6
SHAPES = [(), (0,), (7,), (5, 3)]
DTYPES = ["float32", "float64"]
BACKENDS = ["numpy", "cpu", "cuda"]
# (rule, options); every option of every rule, alone and combined
CONFIGS = [
    ("SGD", {}),
    ("SGD", dict(weight_decay=0.1)),
    ("SGD", dict(momentum=0.9)),
    ("SGD", dict(momentum=0.9, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(momentum=0.9, nesterov=True, lr=0.01, weight_decay=1.0)),
    ("Momentum", {}),
    ("Momentum", dict(beta=0.5, weight_decay=0.1)),
    ("AdaGrad", {}),
    ("AdaGrad", dict(lr_decay=0.1, eps=1e-6)),
    ("AdaGrad", dict(initial_accumulator_value=0.5, weight_decay=0.1)),
    ("RMSProp", {}),
    ("RMSProp", dict(centered=True)),
    ("RMSProp", dict(momentum=0.5, weight_decay=0.1)),
    ("RMSProp", dict(centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9)),
    ("Adam", {}),
    ("Adam", dict(amsgrad=True)),
    ("Adam", dict(weight_decay=0.1, lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(weight_decay=0.1, amsgrad=True)),
    ("AdamW", {}),
    ("AdamW", dict(weight_decay=0.0)),
    ("AdamW", dict(amsgrad=True, weight_decay=0.05, lr=0.01)),
    ("LAMB", {}),
    ("LAMB", dict(weight_decay=0.1, lr=0.01, eps=1e-8, betas=(0.8, 0.99))),
]


def run_name(index, dtype, backend):
    return f"{index}/{dtype}/{backend}"


def digest(arrays):
    """SHA-256 of the names, dtypes, shapes and bytes of ``{name: array}``."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype}:{a.shape};".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def run(index, dtype, backend):
    """One configuration: a list, per step, of ``{name: array}`` (each
    parameter and every state buffer).

    Two groups (so the second uses its own options), a strided view, a
    parameter that skips steps 2 and 3 (so step counts differ within a
    bucket), and a switch of SGD momentum on at step 4 when it was off.
    """
    from minigrad import optim
    from minigrad.nn import Parameter

    rule, options = CONFIGS[index]
    rng = np.random.default_rng(index)
    params = [Parameter(rng.standard_normal(s).astype(dtype)) for s in SHAPES]
    view = Parameter(np.zeros(4, dtype))
    view.data = rng.standard_normal((4, 2)).astype(dtype)[:, 1]
    second = Parameter(rng.standard_normal(3).astype(dtype))
    groups = [{"params": params + [view]},
              {"params": [second], "lr": 0.05}]
    opt = getattr(optim, rule)(groups, backend=backend, **options)
    everyone = params + [view, second]
    out = []
    for step in range(1, STEPS + 1):
        if step == 4 and rule == "SGD" and not options.get("momentum"):
            opt.param_groups[0]["momentum"] = 0.8
        for k, p in enumerate(everyone):
            skip = k == 2 and step in (2, 3)
            p.grad = None if skip else rng.standard_normal(p.shape).astype(dtype)
        opt.step()
        arrays = {f"p{k}": p.data.copy() for k, p in enumerate(everyone)}
        for pid, entry in opt.state_dict()["state"].items():
            for name, value in entry.items():
                arrays[f"{name}{pid}"] = np.array(value)
        out.append(arrays)
    return out


def summary(steps):
    """What is kept of a run: a digest per step, and the last step's arrays
    laid end to end in sorted name order (for a comparison to a tolerance
    where summation order may differ between CPUs, see the test)."""
    last = steps[-1]
    return {"digests": np.array([digest(a) for a in steps]),
            "final": np.concatenate([np.ravel(last[n]).astype(np.float64)
                                     for n in sorted(last)])}


def record_all(backends=BACKENDS):
    out = {}
    for index in range(len(CONFIGS)):
        for dtype in DTYPES:
            for backend in backends:
                name = run_name(index, dtype, backend)
                for part, value in summary(run(index, dtype, backend)).items():
                    out[f"{name}/{part}"] = value
    return out


def main(path):
    """Record numpy and cpu here, cuda in a simulator subprocess."""
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    cuda_path = path + ".cuda.npz"
    subprocess.run([sys.executable, __file__, "--cuda-only", cuda_path],
                   check=True, env=env)
    os.environ.pop("NUMBA_ENABLE_CUDASIM", None)
    out = record_all(["numpy", "cpu"])
    with np.load(cuda_path) as cuda:
        out.update({name: cuda[name] for name in cuda.files})
    os.remove(cuda_path)
    np.savez_compressed(path, **out)
    print(f"{len(out)} arrays -> {path}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cuda-only"]:
        np.savez(sys.argv[2], **record_all(["cuda"]))
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        main(sys.argv[1] if len(sys.argv) > 1
             else os.path.join(here, "data", "optim_golden.npz"))
