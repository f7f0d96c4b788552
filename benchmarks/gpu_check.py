"""The CUDA backend on a real GPU, in one command (under 5 minutes on one GPU).

    python -m benchmarks.gpu_check REPORT.md            # on a machine with a GPU
    NUMBA_ENABLE_CUDASIM=1 python -m benchmarks.gpu_check REPORT.md --tiny

1. **Agreement.** Every rule x option set (the list of the recorded
   trajectories, ``tests/optim_golden.py``) x dtype runs ``--steps`` steps
   (default 50) with ``backend="cuda"`` and with ``backend="numpy"`` from
   the same start on the same gradients, on several layouts (one small
   tensor, a matrix and a vector, 1000 small tensors, one large tensor);
   the report gives the largest error of any parameter over the run, absolute
   and relative to the largest parameter, against a tolerance per dtype.
2. **Speed.** One ``step()`` of each rule with default options on 10M and
   100M float32 parameters in one tensor: the whole step (host staging,
   transfers, launches, synchronised), the kernel launches alone, and the
   floor: a copy kernel's time scaled to the rule's bytes (the device's
   measured bandwidth moving the same bytes). Then the host <-> device
   transfers of a step (p and g up, p down, from NumPy's pageable memory)
   and their share of the step.
3. Writes the Markdown report to the path on the command line.

``--tiny`` shrinks every size so the whole check runs in Numba's simulator
in seconds (``tests/test_gpu_check.py`` does that); its numbers say nothing
about speed.
"""
import argparse
import datetime
import os
import statistics
import sys
import time

import numpy as np
from numba import config, cuda  # module level: the simulator swaps it in kernels

from .report import REPO, fmt

sys.path.insert(0, str(REPO / "tests"))
from optim_golden import CONFIGS  # noqa: E402  (one list of option sets)

# bytes per element a step must move, per rule (as benchmarks/floor.py)
BYTES = {"SGD": 12, "Momentum": 20, "AdaGrad": 20, "RMSProp": 20, "Adam": 28,
         "AdamW": 28, "LAMB": 40}
TOLERANCE = {"float32": 1e-4, "float64": 1e-10}  # max error / max |p|


def _layouts(tiny):
    if tiny:
        return {"one small (7,)": [(7,)], "matrix + vector": [(5, 3), (3,)],
                "20 x (3,)": [(3,)] * 20, "one of 600": [(600,)]}
    return {"one small (7,)": [(7,)], "matrix + vector": [(256, 784), (256,)],
            "1000 x (100,)": [(100,)] * 1000, "one of 1,000,000": [(1_000_000,)]}


def _run(rule, options, shapes, dtype, backend, steps, seed):
    from minigrad import optim
    from minigrad.nn import Parameter

    rng = np.random.default_rng(seed)
    params = [Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]
    opt = getattr(optim, rule)(params, backend=backend, **options)
    for _ in range(steps):
        for p in params:
            p.grad = rng.standard_normal(p.shape).astype(dtype)
        opt.step()
    return [p.data for p in params]


def agreement(steps, tiny):
    """Rows: rule, options, dtype, layout, max abs error, relative, verdict."""
    rows = []
    for index, (rule, options) in enumerate(CONFIGS):
        for dtype in ("float32", "float64"):
            for name, shapes in _layouts(tiny).items():
                ref = _run(rule, options, shapes, dtype, "numpy", steps, index)
                got = _run(rule, options, shapes, dtype, "cuda", steps, index)
                err = max(float(np.max(np.abs(a - b), initial=0.0))
                          for a, b in zip(ref, got))
                scale = max(float(np.max(np.abs(a), initial=0.0)) for a in ref)
                rel = err / scale if scale else err
                rows.append((rule, _options(options), dtype, name, err, rel,
                             "ok" if rel <= TOLERANCE[dtype] else "**OFF**"))
    return rows


def _options(options):
    return ", ".join(f"{k}={v}" for k, v in options.items()) or "defaults"


def _median_time(call, reps):
    times = []
    for _ in range(reps):
        cuda.synchronize()
        start = time.perf_counter()
        call()
        cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class _LaunchClock:
    """Wraps the backend's kernels to time each launch (synchronised)."""

    def __init__(self):
        from minigrad.optim.kernels import cuda as kernels

        self.kernels, self.saved, self.seconds = kernels.KERNELS, None, 0.0

    def __enter__(self):
        self.saved = dict(self.kernels)
        clock = self

        class Timed:
            def __init__(self, kernel):
                self.kernel = kernel

            def __getitem__(self, config):
                launch = self.kernel[config]

                def run(*args):
                    cuda.synchronize()
                    start = time.perf_counter()
                    launch(*args)
                    cuda.synchronize()
                    clock.seconds += time.perf_counter() - start

                return run

        for name, kernel in self.saved.items():
            self.kernels[name] = Timed(kernel)
        return self

    def __exit__(self, *exc):
        self.kernels.update(self.saved)


def _copy(dst, src):
    start = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    for i in range(start, src.size, cuda.gridDim.x * cuda.blockDim.x):
        dst[i] = src[i]


def _copy_floor(n, reps):
    """Seconds for a copy kernel moving 8 bytes per float32 element."""
    copy = cuda.jit(_copy)
    src = cuda.to_device(np.ones(n, np.float32))
    dst = cuda.device_array_like(src)
    threads = 8 if config.ENABLE_CUDASIM else 256
    blocks = min(4096, max(1, n // threads))
    if config.ENABLE_CUDASIM:
        blocks = 2
    copy[blocks, threads](dst, src)  # compile
    return _median_time(lambda: copy[blocks, threads](dst, src), reps)


def speed(sizes, reps):
    """Rows per rule and size: step, launches, floor, transfers, shares."""
    from minigrad import optim
    from minigrad.nn import Parameter

    rows = []
    for n in sizes:
        copy_s = _copy_floor(n, reps)
        host = np.ones(2 * n, np.float32)
        device = cuda.to_device(host)
        up = _median_time(lambda: device.copy_to_device(host), reps)
        down = _median_time(lambda: device[:n].copy_to_host(host[:n]), reps)
        for rule, nbytes in BYTES.items():
            rng = np.random.default_rng(0)
            p = Parameter(rng.standard_normal(n, dtype=np.float32))
            p.grad = rng.standard_normal(n, dtype=np.float32)
            opt = getattr(optim, rule)([p], backend="cuda")
            opt.step()  # compile, upload the state
            step = _median_time(opt.step, reps)
            with _LaunchClock() as clock:
                for _ in range(reps):
                    opt.step()
            kernel = clock.seconds / reps
            floor = copy_s * nbytes / 8
            rows.append((rule, f"{n:,}", step * 1e3, kernel * 1e3, floor * 1e3,
                         kernel / floor, nbytes * n / kernel / 1e9,
                         (up + down) * 1e3, (up + down) / step))
            del opt, p
        del device
    return rows, copy_s


def _table(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return lines


def report(path, steps, tiny, reps):
    simulator = bool(config.ENABLE_CUDASIM)
    if not simulator and not cuda.is_available():
        raise SystemExit("gpu_check: numba finds no usable CUDA GPU here "
                         "(numba.cuda.is_available() is False); set "
                         "NUMBA_ENABLE_CUDASIM=1 and pass --tiny to try it in "
                         "the simulator")
    started = time.perf_counter()
    device = cuda.get_current_device()
    name = getattr(device, "name", b"?")
    name = name.decode() if isinstance(name, bytes) else str(name)
    agree = agreement(steps, tiny)
    sizes = [2_000, 4_000] if tiny else [10_000_000, 100_000_000]
    timing, _ = speed(sizes, reps)
    off = [r for r in agree if r[-1] != "ok"]
    lines = [
        "# GPU check", "",
        f"- date (UTC): {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}",
        f"- device: {name}" + (" (**Numba's simulator: the times mean "
                               "nothing**)" if simulator else ""),
        f"- command: `python -m benchmarks.gpu_check {' '.join(sys.argv[1:])}`",
        f"- agreement: {len(agree) - len(off)} of {len(agree)} runs within "
        f"tolerance ({steps} steps; relative error = max |cuda - numpy| over "
        "all parameters / max |p|; tolerance "
        + ", ".join(f"{k} {v:g}" for k, v in TOLERANCE.items()) + ")",
        "", "## Agreement with the NumPy reference", ""]
    lines += _table(["rule", "options", "dtype", "layout", "max abs error",
                     "relative", "verdict"], agree)
    lines += ["", "## One step, float32, one tensor", "",
              f"Medians of {reps} synchronised steps. *launches*: the kernel "
              "launches of the step alone; *floor*: a copy kernel's time "
              "scaled to the rule's bytes per element (the device's measured "
              "bandwidth); *transfers*: p and g up, p down, NumPy pageable "
              "memory; *share*: transfers / step.", ""]
    lines += _table(["rule", "N", "step ms", "launches ms", "floor ms",
                     "launches / floor", "GB/s", "transfers ms",
                     "transfer share"], timing)
    lines += ["", f"Total time of the check: {time.perf_counter() - started:.0f} s.",
              ""]
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    return len(off)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.gpu_check",
        description=__doc__.splitlines()[0])
    parser.add_argument("report", help="where to write the Markdown report")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--reps", type=int, default=5,
                        help="timed steps per rule and size")
    parser.add_argument("--tiny", action="store_true",
                        help="tiny sizes, for Numba's simulator")
    args = parser.parse_args(argv)
    off = report(args.report, args.steps, args.tiny, args.reps)
    print(f"wrote {args.report}; {off} run(s) outside tolerance",
          file=sys.stderr)
    return 1 if off else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
