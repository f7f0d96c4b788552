"""``minigrad largebatch``: held-out accuracy against batch size, per
optimizer and learning-rate scaling rule (LAMB's large-batch claim)."""
import argparse
import json
import time

from . import _args, _distributed

DESCRIPTION = """\
Does LAMB keep its accuracy at large batches where Adam and SGD fall off?

Every run trains the same MLP (64, 64 hidden) for the same number of epochs
on a generated 10-class problem (50,000 points, a fifth held out), so a
batch 4x larger takes 4x fewer steps. Each optimizer's learning rate was
chosen at batch 32 and is scaled to batch B by a rule:

  linear   lr(B) = lr(32) * B / 32           (Goyal et al. 2017)
  sqrt     lr(B) = lr(32) * sqrt(B / 32)     (Krizhevsky 2014; You et al.)

with a linear warmup over the first 10% of the steps, then a cosine decay
to 0. Batch sizes go 32, 128, 512, ... up to the whole training set (one
step per epoch). Every cell is run with several seeds (initial weights and
batch order); the table shows the mean held-out accuracy and the lowest
and highest, the plot the same with error bars.

On one process by default. Over MPI the global batch is split evenly over
the processes, with the same results up to rounding:
  mpiexec -n 2 minigrad largebatch --distributed
The full run takes some minutes on two cores; --epochs, --seeds, --samples
and --batch-sizes make it smaller.
"""

EPILOG = """\
examples:
  minigrad largebatch                                  # the full experiment
  minigrad largebatch --optimizers adam,lamb --seeds 1 --epochs 2
  minigrad largebatch --batch-sizes 32,512,8192 --rules sqrt
  mpiexec -n 2 minigrad largebatch --distributed --json lb.json
"""


def _names(text):
    from ..distributed.largebatch import OPTIMIZERS

    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    bad = [n for n in names if n not in OPTIMIZERS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer(s) {bad or text!r}; choose from "
            f"{', '.join(OPTIMIZERS)}")
    return names


def _rules(text):
    from ..distributed.largebatch import RULES

    rules = [t.strip().lower() for t in text.split(",") if t.strip()]
    if not rules or any(r not in RULES for r in rules):
        raise argparse.ArgumentTypeError(
            f"expected rules from {', '.join(RULES)}, got {text!r}")
    return rules


def _ints(text):
    try:
        values = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated non-negative integers, got {text!r}")
    return values


def add_parser(subparsers):
    """Add the ``largebatch`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "largebatch", help="accuracy vs batch size: SGD, Adam, AdamW, LAMB",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=_args.Formatter)
    p.add_argument("--optimizers", type=_names,
                   default="sgd+momentum,adam,adamw,lamb", metavar="NAMES",
                   help="comma-separated subset")
    p.add_argument("--rules", type=_rules, default="linear,sqrt",
                   help="lr scaling rules")
    p.add_argument("--batch-sizes", type=_ints, default=None, metavar="SIZES",
                   help="global batch sizes, e.g. 32,512; 0 = the whole "
                        "training set (default: 32, 128, ... and the whole set)")
    p.add_argument("--epochs", type=_args.positive_int, default=10)
    p.add_argument("--seeds", type=_args.positive_int, default=3,
                   help="seeds per cell (0, 1, ...)")
    p.add_argument("--samples", type=_args.positive_int, default=50_000,
                   help="points in the generated problem (a fifth held out)")
    p.add_argument("--plot", default="minigrad-largebatch.png", metavar="PATH",
                   help="where to save the accuracy-vs-batch picture")
    p.add_argument("--no-plot", action="store_true", help="skip the picture")
    p.add_argument("--json", metavar="PATH", help="also save every run as JSON")
    _distributed.add_option(p)
    p.set_defaults(run=lambda args: _distributed.run(args, run))
    return p


def run(args):
    """Run ``minigrad largebatch`` with the parsed ``args``."""
    from ..distributed import largebatch as lb
    from ..distributed.training import world

    task = lb.make_problem(args.samples)
    n_train = len(task.X_train)
    batches = ([b or n_train for b in args.batch_sizes] if args.batch_sizes
               else lb.batch_sizes(n_train))
    too_big = [b for b in batches if b > n_train]
    if too_big:
        raise ValueError(f"batch sizes {too_big} exceed the {n_train} "
                         "training points")
    size = world()[1]
    print(f"minigrad largebatch: {len(task.X_train)} training + "
          f"{len(task.X_test)} held-out points, {task.n_classes} classes, "
          f"{args.epochs} epochs, batches {batches}, {args.seeds} seed(s), "
          f"{size} process(es)", flush=True)
    started = time.perf_counter()

    def report(row):
        print(f"  {row['optimizer']:>12} {row['rule']:>6} B={row['batch']:<6} "
              f"seed {row['seed']}: lr {row['lr']:.4g}, {row['steps']} steps, "
              f"held-out accuracy {row['test_acc']:.3f} "
              f"({row['seconds']:.1f} s)", flush=True)

    rows = lb.run(task, optimizers=args.optimizers, batches=batches,
                  rules=args.rules, seeds=tuple(range(args.seeds)),
                  epochs=args.epochs, report=report)
    total = time.perf_counter() - started
    print()
    print(lb.format_table(rows))
    print(f"\ntotal time {total:.0f} s on {size} process(es)")
    if world()[0] != 0:
        return 0
    if args.json:
        settings = {"samples": args.samples, "epochs": args.epochs,
                    "processes": size, "base_batch": lb.BASE_BATCH,
                    "optimizers": {k: [v[0], v[1], v[2]] for k, v in
                                   lb.OPTIMIZERS.items()},
                    "seconds": total}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"settings": settings, "rows": rows}, fh, indent=1)
        print(f"numbers saved to {args.json}")
    if not args.no_plot:
        try:
            lb.plot(rows, args.plot)
            print(f"plot saved to {args.plot}")
        except ImportError as exc:
            _args.warn(f"no plot saved: {exc}")
    return 0
