"""``minigrad compare``: the seven optimizers race on one problem."""
import json
import textwrap
import time

from . import _args
from ..viz.registry import OPTIMIZERS, TRAINING_LRS

DESCRIPTION = """\
Train the same small MLP with each optimizer and compare what they achieve.

Fairness: every optimizer starts from the very same initial weights and sees
the very same mini-batches in the same order; only the update rule and its
learning rate differ. After every epoch the loss is measured on the whole
training set and the accuracy on held-out points (25% of the data, never
trained on), so the curves are smooth and the numbers are comparable.

The table reports, per optimizer: the final training loss (mean
cross-entropy), training and held-out accuracy, how many steps it took until
the training loss first fell to --target-loss (checked at the end of each
epoch; "never" if it did not), and the wall time of training (after a
one-off warm-up that compiles the Numba kernel, which is not counted). A PNG
of loss (log scale) and held-out accuracy against steps is saved to --plot.

Learning rates: the optimizers' own defaults follow PyTorch and are tuned for
big networks; here each optimizer gets a rate that suits a small MLP:
  {lrs}
Override with --lr, e.g. --lr adam=0.003 --lr sgd=0.2, or --lr 0.01 for all.
Changing one rate is the quickest way to see how sensitive a rule is.
"""

EPILOG = """\
examples:
  minigrad compare                          # spirals, all seven, a few s
  minigrad compare --dataset moons --epochs 30
  minigrad compare --optimizers sgd,momentum,adam --lr sgd=0.3
  minigrad compare --backend numpy --plot race.png --json race.json
  minigrad compare --optimizers lamb --lr 0.03 --schedule cosine --warmup 30
"""


def add_parser(subparsers):
    """Add the ``compare`` subcommand to ``subparsers``."""
    lrs = textwrap.fill(", ".join(f"{k}={v:g}" for k, v in
                                  TRAINING_LRS.items()), 76,
                        subsequent_indent="  ")
    from ..viz.experiments import DATASETS

    p = subparsers.add_parser(
        "compare", help="race the seven optimizers on a toy dataset (main job)",
        description=DESCRIPTION.format(lrs=lrs), epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--dataset", default="spirals", choices=list(DATASETS),
                   help="toy problem, generated in memory (nothing downloaded)")
    p.add_argument("--samples", type=_args.positive_int, default=600,
                   help="points in the dataset (a quarter is held out)")
    p.add_argument("--optimizers", type=_args.optimizer_list,
                   default="all", metavar="NAMES",
                   help=f"comma-separated subset of {','.join(OPTIMIZERS)}, "
                        f"or 'all'")
    p.add_argument("--epochs", type=_args.positive_int, default=40,
                   help="passes over the training set")
    p.add_argument("--batch-size", type=_args.positive_int, default=32,
                   help="points per mini-batch (one optimizer step each)")
    _args.add_hidden_option(p)
    p.add_argument("--lr", type=_args.lr_setting, action="append",
                   metavar="NAME=VALUE",
                   help="learning rate for one optimizer (repeatable), or a "
                        "bare number for all")
    p.add_argument("--target-loss", type=_args.positive_float, default=0.3,
                   help="the loss whose first crossing the table reports")
    _args.add_schedule_options(p)
    _args.add_backend_option(p)
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the data, the initial weights and the batches")
    p.add_argument("--plot", default="minigrad-compare.png", metavar="PATH",
                   type=_args.picture_file,
                   help="where to save the loss-curve picture (.png/.svg/.pdf)")
    p.add_argument("--no-plot", action="store_true", help="skip the picture")
    p.add_argument("--json", metavar="PATH",
                   help="also save all numbers and curves as JSON")
    _args.add_progress_option(p)
    p.set_defaults(run=run)
    return p


def run(args):
    """Run ``minigrad compare`` with the parsed ``args``; returns the exit status."""
    from ..viz import experiments

    if not args.no_plot:  # fail now, not after the race
        _args.check_output_file(args.plot, "--plot", "curves.png",
                                make_folders=True)
    if args.json:
        _args.check_output_file(args.json, "--json", "numbers.json")
    lrs = _args.merge_lrs(args.lr, args.optimizers)
    task = experiments.make_task(args.dataset, args.samples, seed=args.seed)
    print(f"minigrad compare: {args.dataset} ({len(task.X_train)} training + "
          f"{len(task.X_test)} held-out points, {task.n_classes} classes), "
          f"MLP {[2, *args.hidden, task.n_classes]}, {args.epochs} epochs of "
          f"batch {args.batch_size}, backend {args.backend}, seed {args.seed}"
          + (f", schedule {args.schedule}" if args.schedule != "constant"
             else "") + (f", warmup {args.warmup}" if args.warmup else ""))
    started = time.perf_counter()
    with _args.progress_bar(args.epochs * len(args.optimizers),
                            args.progress) as bar:
        results = experiments.compare_optimizers(
            task, optimizers=args.optimizers, hidden=args.hidden,
            epochs=args.epochs, batch_size=args.batch_size, lrs=lrs,
            backend=args.backend, seed=args.seed,
            target_loss=args.target_loss, progress=bar,
            schedule=args.schedule, warmup=args.warmup)
    total = time.perf_counter() - started
    print()
    print(experiments.format_table(results, args.target_loss))
    print(f"\ntotal time {total:.1f} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"args": {k: v for k, v in vars(args).items()
                                if k != "run"},
                       "results": [vars(r) for r in results]}, fh, indent=1,
                      default=float)
        print(f"numbers saved to {args.json}")
    if not args.no_plot:
        _plot(results, args)
    return 0


def _plot(results, args):
    from ..viz import plots

    curves = {r.optimizer: (r.curve_steps, r.curve_loss) for r in results}
    acc = {r.optimizer: (r.curve_steps, r.curve_test_acc) for r in results}
    try:
        plots.plot_loss_curves(
            curves, args.plot, accuracy=acc, target=args.target_loss,
            lrs={r.optimizer: r.lr for r in results},
            title=f"Training loss on {args.dataset} (whole training set)")
    except plots.MissingDependencyError as exc:
        _args.warn(f"no plot saved: {exc}")
        return
    print(f"loss curves saved to {args.plot}")
