"""``minigrad train --monitor K``: a per-layer table every K epochs and a
picture of the ratios over the run (``diagnostics.Monitor``)."""
from . import _args


def add_option(p):
    """``--monitor K`` and ``--monitor-plot PATH``."""
    p.add_argument("--monitor", type=_args.positive_int, default=None,
                   metavar="K",
                   help="every K epochs print, per parameter tensor, the "
                        "gradient norm, weight norm, update norm and "
                        "|update|/|w| (median over those epochs' steps; "
                        "healthy: about 1e-3), LAMB's trust ratio and the "
                        "dead ReLU units; save their curves to "
                        "--monitor-plot")
    p.add_argument("--monitor-plot", default="minigrad-monitor.png",
                   metavar="PATH", type=_args.picture_file,
                   help="where --monitor saves its picture")


def start(args, model, optimizer, steps_per_epoch):
    """A Monitor and the ``on_step`` callback that records and prints, or
    ``(None, None)`` without ``--monitor``."""
    if args.monitor is None:
        return None, None
    if getattr(args, "distributed", False):
        raise ValueError("--monitor does not work with --distributed (each "
                         "rank sees only its own batches); drop one of them")
    _args.check_output_file(args.monitor_plot, "--monitor-plot",
                            "monitor.png", make_folders=True)
    from ..diagnostics import Monitor

    monitor = Monitor(model, optimizer)
    every = args.monitor * steps_per_epoch

    def on_step(step, model, optimizer):
        monitor.record()
        if step % every == 0:
            epoch = step // steps_per_epoch
            print(f"\n-- epoch {epoch}, " + monitor.summary(last=every))

    return monitor, on_step


def finish(args, monitor):
    """Stop recording and save the picture."""
    if monitor is None:
        return
    monitor.stop()
    from ..viz import plots

    try:
        monitor.plot(args.monitor_plot, title=f"{args.optimizer} "
                     f"on {args.dataset}: per-tensor diagnostics")
    except plots.MissingDependencyError as exc:
        _args.warn(f"no monitor plot saved: {exc}")
        return
    print(f"monitor plot saved to {args.monitor_plot}")
