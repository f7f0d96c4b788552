"""The numbers in docs/distributed.md, regenerated.

    python -m benchmarks.bench_distributed throughput   # ~2 min: samples/s
    python -m benchmarks.bench_distributed largebatch   # ~15 min: the experiment
    python -m benchmarks.bench_distributed render       # docs from the JSON

``throughput`` times training steps of a small and a wide MLP on 1 and 2
processes (``mpiexec``) and writes docs/data/distributed-throughput.json;
``largebatch`` runs ``minigrad largebatch`` with its defaults and writes
docs/data/largebatch.json and docs/img/largebatch.png. Each then rewrites the
blocks between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in
docs/distributed.md from the JSON (``render`` does only that), and
tests/test_distributed_docs.py fails when a block and its JSON disagree.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "distributed.md"
DATA = ROOT / "docs" / "data"
MODELS = {"small": [20, 64, 64, 10], "wide": [784, 1024, 1024, 10]}
BATCH = 256  # global batch of the throughput runs
STEPS = {"small": 300, "wide": 12}
# (processes, threads per process)
SETUPS = [(1, 1), (1, 2), (2, 1)]
LINK_GBIT = 10.0  # the network of the cost model


# ------------------------------------------------------------ measuring
def worker(name, steps):
    """Under mpiexec: time ``steps`` Adam steps of MODELS[name] on a global
    batch of BATCH rows; rank 0 prints one JSON line."""
    import numpy as np

    import minigrad as mg
    from minigrad import distributed as dist
    from minigrad import nn
    from minigrad.nn import functional as F
    from minigrad.optim import Adam

    dist.init()
    rank, size = dist.rank(), dist.size()
    sizes = MODELS[name]
    mg.manual_seed(0)
    model = nn.MLP(sizes)
    opt = Adam(model.parameters(), lr=1e-3)
    if size > 1:
        opt = dist.DistributedOptimizer(opt)
    rng = np.random.default_rng(rank)
    X = mg.Tensor(rng.normal(size=(BATCH // size, sizes[0])).astype(np.float32))
    y = mg.Tensor(rng.integers(0, sizes[-1], BATCH // size))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()

    for _ in range(3):
        step()
    dist.barrier()
    reduce_before = getattr(opt, "allreduce_seconds", 0.0)
    times = []
    for _ in range(int(steps)):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    reduce = getattr(opt, "allreduce_seconds", 0.0) - reduce_before
    n_params = sum(p.data.size for p in model.parameters())
    alone = []  # the message alone: both ranks start together
    if size > 1:
        from mpi4py import MPI

        buffer = np.zeros(n_params + len(list(model.parameters())), np.float32)
        for _ in range(10):
            dist.barrier()
            start = time.perf_counter()
            dist._comm.world().Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
            alone.append(time.perf_counter() - start)
    if rank == 0:
        print(json.dumps({"step_s": statistics.median(times),
                          "allreduce_share": reduce / sum(times),
                          "allreduce_alone_s": statistics.median(alone)
                          if alone else 0.0,
                          "params": n_params}), flush=True)


def _mpiexec():
    here = Path(sys.executable).parent
    found = shutil.which("mpiexec", path=f"{here}{os.pathsep}"
                                         f"{os.environ.get('PATH', '')}")
    if found is None:
        sys.exit("needs mpiexec: pip install \".[mpi]\"")
    return found


def _threads(n):
    return {k: str(n) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}


def measure(name, processes, threads):
    threads_env = _threads(threads)
    cmd = [_mpiexec(), "-n", str(processes), sys.executable, "-m",
           "benchmarks.bench_distributed", "worker", name, str(STEPS[name])]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**os.environ, **threads_env},
                         timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def throughput(repeats=3):
    """Alternate the setups ``repeats`` times; medians per (model, setup)."""
    runs = {}
    before = os.getloadavg()[0]
    for r in range(repeats):
        order = SETUPS if r % 2 == 0 else SETUPS[::-1]
        for name in MODELS:
            for processes, threads in order:
                got = measure(name, processes, threads)
                runs.setdefault((name, processes, threads), []).append(got)
    results = []
    for (name, processes, threads), got in runs.items():
        step = statistics.median(g["step_s"] for g in got)
        results.append({
            "model": name, "sizes": MODELS[name], "params": got[0]["params"],
            "processes": processes, "threads": threads, "batch": BATCH,
            "step_ms": 1e3 * step, "samples_per_s": BATCH / step,
            "allreduce_share": statistics.median(g["allreduce_share"]
                                                 for g in got),
            "allreduce_alone_ms": 1e3 * statistics.median(
                g["allreduce_alone_s"] for g in got)})
    return {"repeats": repeats, "load_average_before": before,
            "load_average_after": os.getloadavg()[0],
            "cpus": os.cpu_count(), "results": results}


# ------------------------------------------------------------ cost model
def ring_bytes(params, n, bytes_per_value=4):
    """Bytes each rank sends (and receives) in a ring allreduce of ``params``
    values over ``n`` ranks: reduce-scatter then allgather, each moving
    (n - 1) chunks of params / n values."""
    return 2 * (n - 1) / n * params * bytes_per_value


def largest_n(compute_s_per_sample, params, global_batch, gbit=LINK_GBIT,
              limit=4096):
    """The largest N at which compute still hides communication: per-rank
    compute ``global_batch / N * compute_s_per_sample`` >= ring time, with no
    overlap (minigrad reduces after backward, as here). Past it a step spends
    more time on the network than computing, and efficiency is below 50%."""
    link = gbit * 1e9 / 8  # bytes per second
    best = 1
    for n in range(2, limit + 1):
        compute = global_batch / n * compute_s_per_sample
        if compute >= ring_bytes(params, n) / link:
            best = n
    return best


def weak_efficiency(compute_s_per_sample, params, batch_per_rank,
                    gbit=LINK_GBIT):
    """Compute / (compute + ring time) as N grows without bound, with
    ``batch_per_rank`` rows per rank: the ring time tends to 2 x the model's
    bytes over the link, so the efficiency tends to this constant."""
    compute = batch_per_rank * compute_s_per_sample
    return compute / (compute + 2 * params * 4 / (gbit * 1e9 / 8))


# ------------------------------------------------------------ rendering
def render_throughput(data):
    rows = ["| model | parameters | processes x threads | step (ms) | "
            "samples/s | time in Allreduce | one Allreduce alone (ms) |",
            "|---|---|---|---|---|---|---|"]
    for r in data["results"]:
        two = r["processes"] > 1
        share = f"{100 * r['allreduce_share']:.0f}%" if two else "-"
        alone = f"{r['allreduce_alone_ms']:.2f}" if two else "-"
        rows.append(f"| {r['model']} {'-'.join(map(str, r['sizes']))} | "
                    f"{r['params']:,} | {r['processes']} x {r['threads']} | "
                    f"{r['step_ms']:.1f} | {r['samples_per_s']:,.0f} | "
                    f"{share} | {alone} |")
    rows.append("")
    rows.append(f"Global batch {data['results'][0]['batch']}, Adam, float32; "
                f"median of {data['repeats']} alternating runs; "
                f"{data['cpus']} CPUs, load average "
                f"{data['load_average_before']:.1f} at the start and "
                f"{data['load_average_after']:.1f} at the end.")
    return "\n".join(rows)


def render_cost_model(data):
    wide = next(r for r in data["results"]
                if r["model"] == "wide" and r["processes"] == 1
                and r["threads"] == 1)
    per_sample = wide["step_ms"] / 1e3 / wide["batch"]
    params = wide["params"]
    lines = ["| N | bytes per rank per step | ring time at 10 Gb/s (ms) |",
             "|---|---|---|"]
    for n in (2, 4, 8, 16, 64):
        b = ring_bytes(params, n)
        lines.append(f"| {n} | {b / 1e6:.2f} MB | "
                     f"{1e3 * b / (LINK_GBIT * 1e9 / 8):.2f} |")
    lines.append("")
    for batch in (256, 1024, 4096):
        lines.append(f"- global batch {batch} (strong scaling): compute hides "
                     f"the ring up to N = {largest_n(per_sample, params, batch)}")
    for b in (32, 256):
        lines.append(f"- batch {b} per rank (weak scaling): efficiency "
                     f"{100 * weak_efficiency(per_sample, params, b):.0f}% "
                     "for any large N")
    lines.append("")
    lines.append(f"Compute: {1e6 * per_sample:.0f} us per sample (forward, "
                 f"backward and Adam step of {params:,} float32 parameters "
                 "on one core, measured above).")
    return "\n".join(lines)


def render_largebatch(data):
    from minigrad.distributed.largebatch import format_table

    s = data["settings"]
    return (format_table(data["rows"]) +
            f"; {s['samples']} points, {s['epochs']} epochs, "
            f"{s['processes']} process(es), {s['seconds'] / 60:.0f} min.")


def blocks():
    """``{block name: text}`` rendered from the JSON files that exist."""
    out = {}
    path = DATA / "distributed-throughput.json"
    if path.exists():
        data = json.loads(path.read_text())
        out["throughput"] = render_throughput(data)
        out["costmodel"] = render_cost_model(data)
    path = DATA / "largebatch.json"
    if path.exists():
        out["largebatch"] = render_largebatch(json.loads(path.read_text()))
    return out


def block_in(text, name):
    begin, end = f"<!-- {name}:begin -->\n", f"\n<!-- {name}:end -->"
    return text.split(begin, 1)[1].split(end, 1)[0]


def render():
    text = DOC.read_text()
    for name, body in blocks().items():
        old = block_in(text, name)
        text = text.replace(f"<!-- {name}:begin -->\n{old}\n",
                            f"<!-- {name}:begin -->\n{body}\n")
    DOC.write_text(text)


def main(argv):
    what = argv[0] if argv else "render"
    if what == "worker":
        return worker(argv[1], argv[2])
    if what == "throughput":
        DATA.mkdir(exist_ok=True)
        data = throughput()
        (DATA / "distributed-throughput.json").write_text(
            json.dumps(data, indent=1))
    elif what == "largebatch":
        DATA.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "minigrad", "largebatch",
                        "--json", str(DATA / "largebatch.json"),
                        "--plot", str(ROOT / "docs" / "img" / "largebatch.png")],
                       check=True, cwd=ROOT, env={**os.environ, **_threads(1)})
    elif what != "render":
        sys.exit(f"unknown command {what!r}: throughput, largebatch or render")
    render()


if __name__ == "__main__":
    main(sys.argv[1:])
