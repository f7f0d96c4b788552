"""The benchmark suite's one entry point: ``python -m benchmarks``.

    python -m benchmarks                 # full run (~10 min), writes
                                         # benchmarks/results.md and the
                                         # results block of docs/performance.md
    python -m benchmarks --smoke         # tiny sizes, seconds; prints the table
    python -m benchmarks --sections 1 3  # only some sections
    python -m benchmarks --check         # exit status 1 if a target is missed

See benchmarks/README.md for what each section measures and why.
"""
import argparse
import os
import re
import sys
import traceback
from dataclasses import dataclass

from .report import REPO, Section, command_line, machine_info, render


@dataclass
class Sizes:
    n_params: int = 10_000_000
    n_tensors: int = 1000
    reps: int = 21            # fast cases (optimizer steps, training steps)
    reps_slow: int = 5        # NumPy reference, micrograd
    reps_startup: int = 5     # fresh processes
    wide_batches: int = 10
    chain_links: int = 100
    moons: int = 100
    compare: bool = True
    rounds: int = 5           # alternating rounds, cross-library (isolated.py)
    rounds_slow: int = 3      # micrograd
    turn_s: float = 0.6       # seconds per side and round
    nets: int = 3             # section 4: how many of bench_training.NETS
    all_layouts: bool = False  # section 3: 1000 tensors for every rule
    torch_rules: tuple = ()   # section 3: only these rules (empty: all)
    threads: int = os.cpu_count() or 1


SMOKE = dict(n_params=20_000, n_tensors=20, reps=3, reps_slow=2,
             reps_startup=1, wide_batches=2,
             chain_links=5, moons=10, compare=False,
             rounds=2, rounds_slow=2, turn_s=0.02, nets=1,
             torch_rules=("Adam",))

RESULTS = REPO / "benchmarks" / "results.md"
DOCS = REPO / "docs" / "performance.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _sections():
    from . import bench_optim, bench_startup, bench_training

    return {
        1: bench_optim.step_vs_floor,
        2: bench_optim.many_tensors,
        3: bench_optim.against_torch,
        4: bench_training.training_loop,
        5: bench_training.engine_overhead,
        6: bench_startup.startup,
        7: bench_training.in_loop_and_contention,
    }


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="minigrad's performance suite (see benchmarks/README.md)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes: checks that the suite runs, in seconds")
    parser.add_argument("--sections", type=int, nargs="+", metavar="N",
                        choices=range(1, 8), help="run only these sections (1-7)")
    parser.add_argument("--out", help="write the Markdown table here (default: "
                        "benchmarks/results.md for a full run, stdout for smoke)")
    parser.add_argument("--no-docs", action="store_true",
                        help="do not update the results block of "
                        "docs/performance.md (never updated by smoke runs or "
                        "runs of some sections)")
    parser.add_argument("--threads", type=int,
                        help="threads for numba, torch and BLAS (default: all "
                        "cores; 1 in a smoke run)")
    parser.add_argument("--rounds", type=int,
                        help="alternating rounds of the cross-library cases")
    parser.add_argument("--all-layouts", action="store_true",
                        help="section 3: 1000 tensors for every rule, not "
                        "only Adam and AdamW")
    parser.add_argument("--check", action="store_true",
                        help="exit with status 1 if any target is missed")
    return parser.parse_args(argv)


def _update_docs(markdown):
    text = DOCS.read_text()
    block = f"{BEGIN}\n{markdown}{END}"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{DOCS} has no {BEGIN} ... {END} block to update")
    DOCS.write_text(pattern.sub(lambda _: block, text))


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    threads = args.threads or (1 if args.smoke else os.cpu_count() or 1)
    sizes = Sizes(threads=threads, **(SMOKE if args.smoke else {}))
    sizes.all_layouts = args.all_layouts
    if args.rounds:
        sizes.rounds = args.rounds
    import numba

    from minigrad.optim.kernels import threads as numba_threads

    numba_threads.start()  # as minigrad's first step would (see cases._numba)
    numba.set_num_threads(min(sizes.threads, numba.config.NUMBA_NUM_THREADS))
    info = machine_info(sizes.threads)
    chosen = sorted(set(args.sections or range(1, 8)))
    sections = []
    for number, run in _sections().items():
        if number not in chosen:
            continue
        print(f"section {number} ...", file=sys.stderr, flush=True)
        try:
            sections.append(run(sizes))
        except Exception as err:  # report it, keep the other sections
            traceback.print_exc()
            failed = Section(f"{number}. (failed)")
            failed.skipped = f"error: {type(err).__name__}: {err}"
            sections.append(failed)
    markdown = render(sections, info, command_line(), args.smoke)
    out = args.out or (None if args.smoke else RESULTS)
    if out is None:
        print(markdown)
    else:
        with open(out, "w") as fh:
            fh.write(markdown)
        print(f"wrote {out}", file=sys.stderr)
    if not (args.smoke or args.no_docs or args.sections):
        _update_docs(markdown)
        print(f"updated {DOCS}", file=sys.stderr)
    errors = [s for s in sections if s.skipped.startswith("error")]
    missed = [t for s in sections for t in s.targets if not t.passed]
    if errors:
        return 2
    return 1 if (args.check and missed) else 0
