"""The ``minigrad`` command: ``minigrad compare | train | paths | graph``,
and the lab: ``minigrad trace | sweep``.

Run ``minigrad --help`` or ``minigrad <command> --help``; each page explains
what the command shows and why. Entry point: :func:`main` (the console script
``minigrad`` and ``python -m minigrad`` both call it).
"""
import argparse
import sys

from . import (_args, compare, decay, exercise, graph, largebatch, lrfind,
               paths, sweep, trace, train)

DESCRIPTION = """\
minigrad: see backpropagation and optimization at work.

commands:
  compare   train the same MLP with each of the seven optimizers (SGD,
            Momentum, AdaGrad, RMSProp, Adam, AdamW, LAMB) from the same
            initial weights on the same batches; print a table and save loss
            curves. Start here.
  train     train one MLP with one optimizer; save a checkpoint and,
            optionally, a picture of the decision boundary.
  paths     watch the optimizers walk down 2-D loss surfaces (a ravine,
            Rosenbrock's valley, a saddle) over contour plots.
  graph     draw the computation graph that backward() walks.
  trace     print every number of a few optimizer steps (g, m, v, m_hat,
            v_hat, the denominator, LAMB's trust ratio, the step taken).
  sweep     optimizers x learning rates x seeds: median and spread of the
            final loss per lr, the best lr per rule, and a picture.
  decay     Adam + L2 against AdamW: how far weight decay shrinks a weight,
            by the scale of its gradient.
  lrfind    the learning-rate range test: one short run with a growing
            lr, a suggested lr per optimizer, and a picture.
  exercise  check your answer to an exercise of the course (course/).
  largebatch  held-out accuracy vs batch size (32 .. all) for SGD+momentum,
            Adam, AdamW and LAMB with linear/sqrt lr scaling; over MPI too.

Every command takes --help with a longer explanation and examples.
Pictures need matplotlib (plots) and the Graphviz 'dot' program (graphs):
  pip install "minigrad[viz]"   and e.g.   sudo apt-get install graphviz
"""

EPILOG = """\
examples:
  minigrad compare
  minigrad compare --dataset moons --optimizers sgd,adam --lr sgd=0.3
  minigrad paths --surface ravine
  minigrad train --optimizer lamb --plot boundary.png
  minigrad graph --model 2,16,1 -o mlp.svg
  minigrad exercise check softplus
  minigrad trace --optimizer adam --steps 3
  minigrad sweep --optimizers sgd,adam --lrs 0.01,0.1 --seeds 2
  minigrad lrfind --optimizer all
  minigrad train --monitor 10
  minigrad largebatch --optimizers adam,lamb --seeds 1 --epochs 2
  mpiexec -n 2 minigrad train --distributed --batch-size 16
"""


def build_parser():
    """The ``minigrad`` argument parser with its subcommands."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="minigrad", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"minigrad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND",
                                title="commands (see above)")
    sub.required = True
    for module in (compare, train, paths, graph, trace, sweep, decay,
                   lrfind, exercise, largebatch):
        module.add_parser(sub)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status (0 = success)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("\nminigrad: interrupted", file=sys.stderr)
        return 130
    except (ValueError, RuntimeError, OSError) as exc:
        # e.g. an invalid hyperparameter, backend="cuda" without a GPU, an
        # unwritable output path: say what went wrong, without a traceback
        print(f"minigrad {args.command}: error: {exc}", file=sys.stderr)
        return 1


__all__ = ["main", "build_parser", "_args"]
