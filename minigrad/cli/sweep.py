"""``minigrad sweep``: optimizers x learning rates x seeds, with spread."""
import argparse

from . import _args
from ..viz.registry import OPTIMIZERS
from ..viz.sweep import DEFAULT_LRS

DESCRIPTION = """\
Train the small MLP of minigrad compare once per optimizer, learning rate and
seed, and print for every (optimizer, lr) the median final training loss and
held-out accuracy with their min..max over the seeds; '*' marks each
optimizer's best lr (lowest median loss). A picture of loss and accuracy
against lr, with the seeds' range as error bars, goes to --plot.

Why: a single run is one sample (the seed sets the data, the initial weights
and the batch order), and a ranking of optimizers holds only at the learning
rates it was made at. Across a sweep the ranking changes with lr: show the
curves, not one number per rule. Runs that blow up count as loss inf (drawn
as triangles at the top of the plot).

Cost: optimizers x lrs x seeds runs of --epochs each; the default (7 x 7 x 3,
40 epochs) takes about a minute.
"""

EPILOG = """\
examples:
  minigrad sweep
  minigrad sweep --optimizers sgd,momentum,adam --lrs 0.01,0.1,1 --seeds 5
  minigrad sweep --optimizers lamb --schedule cosine --plot lamb.png
  minigrad sweep --epochs 5 --seeds 2 --no-plot
"""


def lr_grid(text):
    """"0.01,0.1,1" -> (0.01, 0.1, 1.0)."""
    values = tuple(_args.positive_float(v) for v in text.split(",") if v.strip())
    if not values:
        raise argparse.ArgumentTypeError(
            "expected learning rates like 0.01,0.1,1")
    return tuple(sorted(set(values)))


def add_parser(subparsers):
    """Add the ``sweep`` subcommand to ``subparsers``."""
    from ..viz.experiments import DATASETS

    p = subparsers.add_parser(
        "sweep", help="optimizers x learning rates x seeds, with spread",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--dataset", default="spirals", choices=list(DATASETS))
    p.add_argument("--optimizers", type=_args.optimizer_list, default="all",
                   metavar="NAMES",
                   help=f"comma-separated subset of {','.join(OPTIMIZERS)}")
    p.add_argument("--lrs", type=lr_grid, metavar="LRS",
                   default=",".join(f"{v:g}" for v in DEFAULT_LRS),
                   help="comma-separated learning rates")
    p.add_argument("--seeds", type=_args.positive_int, default=3,
                   help="runs per cell, seeds 0..N-1")
    p.add_argument("--epochs", type=_args.positive_int, default=40)
    p.add_argument("--batch-size", type=_args.positive_int, default=32)
    p.add_argument("--samples", type=_args.positive_int, default=600)
    _args.add_hidden_option(p)
    _args.add_schedule_options(p)
    _args.add_backend_option(p)
    p.add_argument("--plot", default="minigrad-sweep.png", metavar="PATH",
                   help="where to save the picture (.png/.svg/.pdf)")
    p.add_argument("--no-plot", action="store_true", help="skip the picture")
    _args.add_progress_option(p)
    p.set_defaults(run=run)
    return p


def run(args):
    """Run ``minigrad sweep`` with the parsed ``args``; returns 0."""
    from ..viz.sweep import format_sweep, sweep

    seeds = tuple(range(args.seeds))
    print(f"minigrad sweep: {args.dataset}, {len(args.optimizers)} optimizers "
          f"x {len(args.lrs)} lrs x {len(seeds)} seeds, {args.epochs} epochs "
          f"of batch {args.batch_size}, schedule {args.schedule}"
          + (f" after {args.warmup} warmup steps" if args.warmup else ""))
    total = len(seeds) * len(args.lrs) * len(args.optimizers) * args.epochs
    with _args.progress_bar(total, args.progress) as bar:
        cells = sweep(args.dataset, args.optimizers, args.lrs, seeds,
                      args.epochs, args.batch_size, args.hidden, args.samples,
                      args.backend, args.schedule, args.warmup, progress=bar)
    print(format_sweep(cells))
    if not args.no_plot:
        from ..viz import figures, plots

        try:
            figures.plot_sweep(cells, args.plot, title=f"Final loss on "
                               f"{args.dataset} against lr")
        except plots.MissingDependencyError as exc:
            _args.warn(f"no plot saved: {exc}")
            return 0
        print(f"picture saved to {args.plot}")
    return 0
