"""Where minigrad's training step spends its time, by phase and by function.

    python -m benchmarks.profile_step [--threads 2] [--steps 100] [--top 12]
    python -m benchmarks.profile_step --threads 1 --steps 60 --top 10 \
        > benchmarks/profile-1-thread.md     # the committed profile

For each net of section 4 (``bench_training.NETS``): medians over
``--steps`` steps of each phase (``zero_grad``, forward, cross-entropy,
``backward``, Adam ``step``), then the functions with the most own time
(cProfile) over the same number of steps. One minigrad process; numba,
NumPy's BLAS (threadpoolctl) and everything else on ``--threads`` threads.
"""
import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import time

from .isolated import set_threads
from .report import REPO


def _phases(arch, batch, steps, threads):
    import numba  # noqa: F401  (so set_threads reaches it)

    from minigrad.optim.kernels import threads as numba_threads

    numba_threads.start()  # as minigrad's first step would (see cases._numba)

    import minigrad as mg
    from minigrad.nn import functional as F

    from . import bench_training as bt

    set_threads(threads)
    data = (bt._toy_data(batch * 10) if arch[0] == 2
            else bt._wide_data(batch * 10, width=arch[0]))
    batches = [(mg.Tensor(x), mg.Tensor(y)) for x, y in bt._batches(*data, batch)]
    model = mg.nn.MLP(arch)
    opt = mg.optim.Adam(model.parameters(), lr=1e-3)
    clock = time.perf_counter
    names = ["zero_grad", "forward", "loss", "backward", "step"]
    times = {name: [] for name in names + ["total"]}

    def one(i):
        x, y = batches[i % len(batches)]
        t0 = clock()
        opt.zero_grad()
        t1 = clock()
        out = model(x)
        t2 = clock()
        loss = F.cross_entropy(out, y)
        t3 = clock()
        loss.backward()
        t4 = clock()
        opt.step()
        t5 = clock()
        return [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t5 - t0]

    for i in range(5):  # warm up: compile, allocate
        one(i)
    for i in range(steps):
        for name, value in zip(names + ["total"], one(i)):
            times[name].append(value)
    med = {name: statistics.median(v) for name, v in times.items()}
    profile = cProfile.Profile()
    profile.enable()
    for i in range(steps):
        one(i)
    profile.disable()
    return med, profile


def main(argv=None):
    from . import bench_training as bt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--nets", type=int, default=len(bt.NETS))
    args = parser.parse_args(argv)
    print(f"threads {args.threads}, load average "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    for name, arch, batch, _ in bt.NETS[:args.nets]:
        med, profile = _phases(arch, batch, args.steps, args.threads)
        total = med.pop("total")
        print(f"## {name}, batch {batch}: {total * 1e6:,.0f} us per step "
              "(median)\n\n| phase | us | share |\n|---|---|---|")
        for phase, value in med.items():
            print(f"| {phase} | {value * 1e6:,.0f} | {value / total:.0%} |")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(
            args.top)
        text = out.getvalue().replace(str(REPO) + os.sep, "")
        text = re.sub(r"\S*site-packages" + re.escape(os.sep), "", text)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        start = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
        print("\n```\n" + "\n".join(lines[start:]) + "\n```\n")


if __name__ == "__main__":
    main()
