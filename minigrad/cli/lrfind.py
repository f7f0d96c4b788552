"""``minigrad lrfind``: the learning-rate range test, per optimizer."""
from . import _args

DESCRIPTION = """\
Find a learning rate in one short run (the lr range test): the lr grows
exponentially from --start-lr to --end-lr over --steps mini-batches while
the MLP of minigrad compare trains; the batch loss is smoothed, and the run
stops once the smoothed loss exceeds --diverge times its minimum.

It prints, per optimizer, the suggested lr -- where the smoothed loss falls
fastest against log(lr), the steepest descent -- and the lr of the smoothed
minimum (too high to train at: the loss is about to rise), and plots loss
against lr on a log axis with both marked.

Every optimizer starts from the same initial weights and sees the same
batches. The test changes nothing: model, optimizer, gradients, random
generator and loader are put back exactly as they were (the Python function
minigrad.diagnostics.lr_find does the same for your own model).

How close the suggestion gets to the best lr of a full sweep (minigrad
sweep) is measured in docs/watching.md.
"""

EPILOG = """\
examples:
  minigrad lrfind                            # adam on spirals
  minigrad lrfind --optimizer all --plot lrfind.png
  minigrad lrfind --optimizer sgd,lamb --steps 200 --end-lr 100
"""


def add_parser(subparsers):
    """Add the ``lrfind`` subcommand to ``subparsers``."""
    from ..viz.experiments import DATASETS
    from ..viz.registry import OPTIMIZERS

    p = subparsers.add_parser(
        "lrfind", help="the learning-rate range test: a suggested lr per rule",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--optimizer", type=_args.optimizer_list, default="adam",
                   metavar="NAMES",
                   help=f"one or more (comma-separated) of "
                        f"{','.join(OPTIMIZERS)}, or all")
    p.add_argument("--dataset", default="spirals", choices=list(DATASETS))
    p.add_argument("--samples", type=_args.positive_int, default=600)
    _args.add_hidden_option(p)
    p.add_argument("--batch-size", type=_args.positive_int, default=32)
    p.add_argument("--steps", type=_args.positive_int, default=300,
                   help="mini-batches of the test (at least 2)")
    p.add_argument("--start-lr", type=_args.positive_float, default=1e-5)
    p.add_argument("--end-lr", type=_args.positive_float, default=10.0)
    p.add_argument("--diverge", type=_args.positive_float, default=4.0,
                   metavar="K", help="stop when the smoothed loss exceeds "
                                     "K x its minimum")
    p.add_argument("--beta", type=float, default=0.98,
                   help="smoothing of the loss (moving-average factor)")
    _args.add_backend_option(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", default="minigrad-lrfind.png", metavar="PATH",
                   type=_args.picture_file,
                   help="where to save the picture (.png/.svg/.pdf)")
    p.add_argument("--no-plot", action="store_true", help="skip the picture")
    p.set_defaults(run=run)
    return p


def run(args):
    """Run ``minigrad lrfind`` with the parsed ``args``; returns 0."""
    from ..diagnostics.lrfind import lr_schedule
    from ..viz.registry import display_name

    lr_schedule(args.start_lr, args.end_lr, args.steps)  # bad range: fail now
    if not args.no_plot:
        _args.check_output_file(args.plot, "--plot", "lrfind.png",
                                make_folders=True)
    print(f"minigrad lrfind: {args.dataset}, MLP hidden {list(args.hidden)}, "
          f"batch {args.batch_size}, lr {args.start_lr:g}..{args.end_lr:g} "
          f"over {args.steps} steps, stop at {args.diverge:g} x the minimum")
    results = find(args)
    for name, r in results.items():
        print(f"{display_name(name):>8}: {r}")
    if not args.no_plot:
        from ..diagnostics.plots import plot_lrfind
        from ..viz import plots

        try:
            plot_lrfind({display_name(n): r for n, r in results.items()},
                        args.plot, title=f"lr range test on {args.dataset}")
        except plots.MissingDependencyError as exc:
            _args.warn(f"no plot saved: {exc}")
            return 0
        print(f"picture saved to {args.plot}")
    return 0


def find(args):
    """{optimizer name: LRFindResult}, each from the same initial weights
    and batches."""
    from ..data import DataLoader
    from ..diagnostics import lr_find
    from ..viz import experiments
    from ..viz.registry import optimizer_class

    task = experiments.make_task(args.dataset, args.samples, seed=args.seed)
    sizes = [task.X_train.shape[1], *args.hidden, task.n_classes]
    results = {}
    for name in args.optimizer:
        model = experiments.build_model(sizes, args.seed)
        opt = optimizer_class(name)(model.parameters(), backend=args.backend)
        loader = DataLoader(task.X_train, task.y_train,
                            batch_size=args.batch_size, shuffle=True,
                            seed=args.seed)
        results[name] = lr_find(model, opt, loader, start_lr=args.start_lr,
                                end_lr=args.end_lr, steps=args.steps,
                                beta=args.beta, diverge=args.diverge)
    return results
