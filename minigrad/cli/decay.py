"""``minigrad decay``: Adam + L2 against AdamW, weight by weight."""
from . import _args

DESCRIPTION = """\
How much does weight decay shrink a weight? It depends on the rule.

Adam(weight_decay=wd) adds wd * p to the gradient (L2), and Adam then divides
that by sqrt(v_hat), the gradient's own scale: weights with small gradients
are pulled to zero, weights with large gradients hardly decay. AdamW shrinks
every weight by (1 - lr * wd) per step, apart from the gradient.

The demo: weights start at 1 and their loss gradient is pure noise,
scale * N(0, 1), for each of several scales (the loss has no preferred value,
so on average only the decay moves them). --copies weights per scale; the
table prints their mean after --steps steps, and the picture (--plot) the
mean against step, Adam + L2 on the left, AdamW on the right.

The same from Python: minigrad.viz.studies.decay_demo().
"""

EPILOG = """\
examples:
  minigrad decay
  minigrad decay --lr 0.001 --weight-decay 0.01 --steps 5000
  minigrad decay --scales 0.001,1,100 --plot decay.png
"""


def scales(text):
    """"0.01,1,10" -> (0.01, 1.0, 10.0)."""
    return tuple(_args.positive_float(v) for v in text.split(",") if v.strip())


def add_parser(subparsers):
    """Add the ``decay`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "decay", help="Adam + L2 vs AdamW: how much each weight decays",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--lr", type=_args.positive_float, default=0.01)
    p.add_argument("--weight-decay", type=_args.positive_float, default=0.1)
    p.add_argument("--steps", type=_args.positive_int, default=1000)
    p.add_argument("--scales", type=scales, default="0.01,0.1,1,10",
                   metavar="S1,S2,...", help="gradient scales, one group each")
    p.add_argument("--copies", type=_args.positive_int, default=256,
                   help="weights per scale (their mean cancels the noise)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", default="minigrad-decay.png", metavar="PATH")
    p.add_argument("--no-plot", action="store_true", help="skip the picture")
    p.set_defaults(run=run)
    return p


def run(args):
    """Run ``minigrad decay`` with the parsed ``args``; returns 0."""
    from ..viz.studies import decay_demo

    if not args.scales:
        raise ValueError("--scales needs at least one positive number")
    runs = decay_demo(args.scales, args.lr, args.weight_decay, args.steps,
                      args.copies, args.seed)
    print(f"minigrad decay: lr {args.lr:g}, weight_decay "
          f"{args.weight_decay:g}, {args.steps} steps; mean weight (starts "
          f"at 1) by gradient scale")
    print(f"{'gradient scale':>15}  {'Adam + L2':>10}  {'AdamW':>10}")
    for k, scale in enumerate(args.scales):
        print(f"{scale:>15g}  {runs['adam'].mean_p[-1, k]:>10.3f}  "
              f"{runs['adamw'].mean_p[-1, k]:>10.3f}")
    print(f"(1 - lr * weight_decay) ** steps = "
          f"{(1 - args.lr * args.weight_decay) ** args.steps:.3f}")
    if not args.no_plot:
        from ..viz import figures, plots

        try:
            figures.plot_decay(runs, args.plot, lr=args.lr,
                               weight_decay=args.weight_decay)
        except plots.MissingDependencyError as exc:
            _args.warn(f"no plot saved: {exc}")
            return 0
        print(f"picture saved to {args.plot}")
    return 0
