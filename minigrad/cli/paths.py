"""``minigrad paths``: watch the optimizers walk down 2-D landscapes."""
import os

from . import _args
from ..viz.newton import METHODS as NEWTON_METHODS
from ..viz.registry import OPTIMIZERS
from ..viz.surfaces import SURFACES

DESCRIPTION = """\
Run each optimizer from the same start point on small 2-D loss surfaces and
draw the path it takes over the contour lines, next to a plot of the loss
along the way (f - f_min, log scale).

The point (x, y) is one minigrad Parameter of shape (2,). Each step sets its
.grad to the surface's exact gradient and calls opt.step() -- the very update
that trains a network, on a landscape small enough to look at:

  ravine      f = x^2/50 + y^2: steep walls, a shallow floor (condition number
              50). SGD zig-zags across; Momentum averages the zig-zag away;
              RMSProp/Adam rescale each coordinate.
  rosenbrock  f = (1-x)^2 + 100 (y-x^2)^2: a curved, flat valley; getting
              into it is easy, following it to (1, 1) is slow. AdaGrad's steps
              shrink as it accumulates gradients; LAMB's step is proportional
              to |p|, so it creeps where the valley passes near the origin.
  saddle      f = x^2/2 + y^4/4 - y^2/2, started almost on the ridge: plain
              gradient steps take long to leave the saddle, rules that divide
              by the gradient's size leave at once.

Each optimizer uses the learning rate listed for it in
minigrad/viz/surfaces.py (chosen so every rule is stable and shows its
character); override with --lr NAME=VALUE. Legends name each run's lr; an X
marks where each path ends. In the per-optimizer pictures, AdamW's path is
drawn over Adam's (dashed, same lr): the gap between them is the decay.

--noise SIGMA adds N(0, SIGMA^2) noise to each gradient coordinate, as a
mini-batch gradient scatters around the full one (the same noise sequence
for every rule, from --seed). Then no rule converges: each settles at a
noise floor, and the table adds the median f - f_min over the last quarter
of the steps. SGD's floor grows with lr * SIGMA^2; the normalising rules
(RMSProp, Adam) take steps of about lr whatever the gradient, so they hover
at a distance set by lr.

Newton's method is there too, beside them (--optimizers newton,damped-newton;
20 steps unless --steps): each step solves H d = -g with the Hessian H that
mg.hessian computes from the surface's formula. One step to the ravine's
minimum, whatever its condition number; at the saddle it walks onto the saddle
point (grad f = 0 there too), while damped Newton (H + s I made positive
definite) turns away to a minimum.
"""

EPILOG = """\
examples:
  minigrad paths                              # all three surfaces
  minigrad paths --surface ravine --optimizers sgd,momentum
  minigrad paths --surface rosenbrock --steps 3000 --lr adam=0.02
  minigrad paths --per-optimizer --out-dir docs/img   # one picture per rule
  minigrad paths --surface ravine --noise 1.0 --optimizers sgd,adam
  minigrad paths --surface saddle --optimizers sgd,newton,damped-newton
"""


def add_parser(subparsers):
    """Add the ``paths`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "paths", help="optimizer trajectories on 2-D test surfaces",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--surface", default="all",
                   choices=["all", *SURFACES],
                   help="which landscape")
    p.add_argument("--optimizers", type=_methods, default="all",
                   metavar="NAMES",
                   help=f"comma-separated subset of {','.join(OPTIMIZERS)}, "
                        f"and {','.join(NEWTON_METHODS)}")
    p.add_argument("--steps", type=_args.positive_int, default=None,
                   help="steps per run (default: the surface's own, "
                        + ", ".join(f"{k} {s.steps}" for k, s in
                                    SURFACES.items()) + ")")
    p.add_argument("--lr", type=_args.lr_setting, action="append",
                   metavar="NAME=VALUE",
                   help="learning rate for one optimizer (repeatable)")
    _args.add_noise_options(p)
    _args.add_backend_option(p, default="numpy", note=" numpy is the default "
                             "here: two numbers need no kernel.")
    p.add_argument("--out-dir", default=".", metavar="DIR",
                   help="pictures go here as paths-<surface>.png")
    p.add_argument("--per-optimizer", action="store_true",
                   help="also save paths-<optimizer>.png: one rule on every "
                        "chosen surface")
    p.add_argument("--no-plot", action="store_true",
                   help="print the table only")
    p.set_defaults(run=run)
    return p


def _methods(text):
    """Optimizer names (as --optimizers elsewhere) plus Newton's methods."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if names == ["all"]:
        return list(OPTIMIZERS)
    rules = [n for n in names if n not in NEWTON_METHODS]
    checked = _args.optimizer_list(",".join(rules)) if rules or not names else []
    return list(dict.fromkeys(n for n in names
                              if n in NEWTON_METHODS or n in checked))


def _run_all(surface, names, lrs, args):
    """{name: path} in the order given: optimizers, then Newton's methods."""
    from ..viz.newton import newton_path
    from ..viz.surfaces import run_paths

    rules = [n for n in names if n not in NEWTON_METHODS]
    paths = run_paths(surface, rules, lrs=lrs, steps=args.steps,
                      backend=args.backend, noise=args.noise, seed=args.seed)
    for name in names:
        if name in NEWTON_METHODS:
            paths[name] = newton_path(surface, name, args.steps)
    return {name: paths[name] for name in names}


def run(args):
    """Run ``minigrad paths`` with the parsed ``args``; returns the exit status."""
    from ..viz.registry import display_name
    from ..viz.surfaces import path_losses

    names = list(SURFACES) if args.surface == "all" else [args.surface]
    lrs = _args.merge_lrs(args.lr, args.optimizers)
    all_paths = {}
    for sname in names:
        surface = SURFACES[sname]
        paths = _run_all(surface, args.optimizers, lrs, args)
        all_paths[sname] = paths
        print(f"\n{surface.title} ({sname}), start {surface.start}, "
              f"minimum {surface.minimum}"
              + (f", gradient noise sigma {args.noise:g}" if args.noise
                 else ""))
        print(f"{'optimizer':<10} {'lr':>8} {'final (x, y)':>20} "
              f"{'final f-fmin':>13} {'best f-fmin':>12}"
              + (f" {'floor f-fmin':>13}" if args.noise else ""))
        for name, points in paths.items():
            gaps = path_losses(surface, points)
            x, y = points[-1]
            lr = lrs_used(surface, [name], lrs)[name]
            print(f"{display_name(name):<10} {lr:>8g} "
                  f"{f'({x:.3f}, {y:.3f})':>20} {gaps[-1]:>13.3e} "
                  f"{gaps.min():>12.3e}"
                  + (f" {noise_floor(gaps):>13.3e}" if args.noise else ""))
    if not args.no_plot:
        _plot(all_paths, args)
    return 0


def noise_floor(gaps):
    """Median of f - f_min over the last quarter of a path."""
    import numpy as np

    return float(np.median(gaps[-max(1, len(gaps) // 4):]))


def lrs_used(surface, names, lrs):
    """{name: lr} the runs on ``surface`` used (--lr or the surface's; 1 for
    Newton's methods, whose step is the full solve)."""
    return {n: 1.0 if n in NEWTON_METHODS else lrs.get(n, surface.lrs[n])
            for n in names}


def _plot(all_paths, args):
    from ..viz import plots

    lrs = _args.merge_lrs(args.lr, args.optimizers)
    os.makedirs(args.out_dir, exist_ok=True)
    saved = []
    try:
        for sname, paths in all_paths.items():
            out = os.path.join(args.out_dir, f"paths-{sname}.png")
            plots.plot_paths(SURFACES[sname], paths, out, lrs=lrs_used(
                SURFACES[sname], paths, lrs))
            saved.append(out)
        if args.per_optimizer:
            for name in args.optimizers:
                out = os.path.join(args.out_dir, f"paths-{name}.png")
                pairs = [(SURFACES[s], p[name]) for s, p in all_paths.items()]
                rates = [lrs_used(SURFACES[s], [name], lrs)[name]
                         for s in all_paths]
                refs = [adam_reference(SURFACES[s], r, args)
                        if name == "adamw" else None
                        for s, r in zip(all_paths, rates)]
                plots.plot_optimizer_paths(name, pairs, out, lrs=rates,
                                           references=refs)
                saved.append(out)
    except plots.MissingDependencyError as exc:
        _args.warn(f"no pictures saved: {exc}")
        return
    print("\npictures saved: " + ", ".join(saved))


def adam_reference(surface, lr, args):
    """("Adam, same lr", Adam's path): what AdamW would do without decay."""
    from ..viz.surfaces import run_path

    return ("Adam (no decay), same lr", run_path(
        surface, "adam", lr=lr, steps=args.steps, noise=args.noise,
        seed=args.seed))

