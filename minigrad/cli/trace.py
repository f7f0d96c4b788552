"""``minigrad trace``: every number of a few optimizer steps."""
import argparse

from . import _args
from ..viz.registry import OPTIMIZERS
from ..viz.surfaces import SURFACES

DESCRIPTION = """\
Run a few steps of one optimizer on a 2-D landscape and print, per step,
every number the update rule uses: the gradient g, the optimizer's state
after the step (Momentum's velocity, AdaGrad's sum, RMSProp's square_avg,
Adam's exp_avg m and exp_avg_sq v), for the Adam family the bias-corrected
m_hat and v_hat and the denominator sqrt(v_hat) + eps, for LAMB the
direction u, the norms ||p|| and ||u|| and the trust ratio, then the step
actually taken (new point - old point), -step/g (the learning rate plain
SGD would have needed for that move, per coordinate), |step| and the new
point.

Things to see: Adam's first step is lr * sign(g) (|step| is lr in both
coordinates, whatever g is); the EMA Momentum's first step is
lr * (1 - beta) * g; RMSProp's first step is 10 lr per coordinate (no bias
correction: v starts at 0); a LAMB step has length lr * ||p||.

With --net SIZES (e.g. 2,8,3) the steps are taken on a tiny MLP trained on
--dataset instead, and each step prints one line per parameter tensor: the
norms of its gradient, of the step and of the tensor before it, the step as
a fraction of the tensor's norm, and LAMB's trust ratio. Look at LAMB's
zero-initialised biases: their first step has ratio 1 (zero norm), every
later step is lr times their tiny norm.

The same numbers from Python: minigrad.viz.trace.trace("adam", steps=5) and
minigrad.viz.trace.trace_net("lamb", sizes=(2, 8, 3)).
"""

EPILOG = """\
examples:
  minigrad trace --optimizer adam --steps 3
  minigrad trace --optimizer lamb --surface rosenbrock --lr 0.03
  minigrad trace --optimizer momentum --start 1,1 --lr 0.5
  minigrad trace --optimizer adam --noise 1.0 --steps 5
  minigrad trace --optimizer lamb --net 2,8,3 --steps 3
"""


def point(text):
    """"1.5,-2" -> (1.5, -2.0)."""
    try:
        x, y = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a point like 1.5,-2, got {text!r}") from None
    return (x, y)


def add_parser(subparsers):
    """Add the ``trace`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "trace", help="print every number of a few optimizer steps",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--optimizer", type=_args.optimizer_name, default="adam",
                   metavar="NAME", help=f"one of {', '.join(OPTIMIZERS)}")
    p.add_argument("--surface", default="ravine", choices=list(SURFACES),
                   help="which landscape (see minigrad paths --help)")
    p.add_argument("--steps", type=_args.positive_int, default=5)
    p.add_argument("--lr", type=_args.positive_float, default=None,
                   help="learning rate (default: the surface's entry for the "
                        "optimizer, as in minigrad paths)")
    p.add_argument("--start", type=point, default=None, metavar="X,Y",
                   help="start point (default: the surface's)")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="the optimizer's weight_decay (default: its own)")
    _args.add_noise_options(p)
    from ..viz.experiments import DATASETS

    p.add_argument("--net", type=_args.model_sizes, default=None,
                   metavar="SIZES",
                   help="trace a tiny MLP of these layer sizes instead (the "
                        "first and last are set by --dataset)")
    p.add_argument("--dataset", default="spirals", choices=list(DATASETS),
                   help="the data for --net")
    p.set_defaults(run=run)
    return p


def run(args):
    """Run ``minigrad trace`` with the parsed ``args``; returns 0."""
    from ..viz.trace import format_trace, format_trace_net, trace, trace_net

    if args.net is not None:
        rows = trace_net(args.optimizer, args.net, steps=args.steps,
                         lr=args.lr, dataset=args.dataset, seed=args.seed)
        print(f"minigrad trace: {args.optimizer} on an MLP "
              f"{list(args.net[1:-1])} hidden, {args.dataset}, batch 32")
        print(format_trace_net(rows, args.optimizer))
        return 0
    hyper = {} if args.weight_decay is None else {
        "weight_decay": args.weight_decay}
    rows = trace(args.optimizer, args.surface, steps=args.steps, lr=args.lr,
                 start=args.start, noise=args.noise, seed=args.seed, **hyper)
    surface = SURFACES[args.surface]
    start = surface.start if args.start is None else args.start
    print(f"minigrad trace: {args.optimizer} on {args.surface} "
          f"({surface.title}), start {start}"
          + (f", gradient noise sigma {args.noise:g}" if args.noise else ""))
    print(format_trace(rows, args.optimizer))
    return 0
