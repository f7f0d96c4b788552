"""``minigrad train``: one optimizer, one dataset, a checkpoint at the end."""
from . import _args, _distributed, _monitor
from ..viz.registry import TRAINING_LRS

DESCRIPTION = """\
Train an MLP classifier on a toy dataset with one optimizer.

Each step takes a mini-batch, computes the cross-entropy loss of the MLP's
outputs (logits), runs backward() to fill every parameter's .grad, and lets
the optimizer update the parameters:

    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad(); loss.backward(); opt.step()

At the end it prints the loss and accuracy on the training set and on
held-out points, saves a checkpoint (mg.snapshot of the model and optimizer
plus the run's settings, written with mg.save, read back with mg.load and put
back with mg.restore) and, with --plot, a picture of
the decision boundary: the plane coloured by the class the model predicts.
"""

EPILOG = """\
examples:
  minigrad train                                   # adam on moons
  minigrad train --dataset spirals --optimizer lamb --epochs 80 --plot b.png
  minigrad train --optimizer sgd --lr 0.3 --checkpoint sgd.ckpt
  minigrad train --optimizer lamb --lr 0.03 --schedule cosine
  mpiexec -n 2 minigrad train --distributed --batch-size 16   # global 32

reload a checkpoint in Python (strict=False skips the settings entries):
  state = mg.load("minigrad-train.ckpt")
  model = nn.MLP(list(state["sizes"]))
  mg.restore(state, strict=False, model=model)
"""


def add_parser(subparsers):
    """Add the ``train`` subcommand to ``subparsers``."""
    from ..viz.experiments import DATASETS

    p = subparsers.add_parser(
        "train", help="train one MLP with one optimizer, save a checkpoint",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    p.add_argument("--dataset", default="moons", choices=list(DATASETS),
                   help="toy problem, generated in memory")
    p.add_argument("--samples", type=_args.positive_int, default=600,
                   help="points in the dataset (a quarter is held out)")
    p.add_argument("--optimizer", type=_args.optimizer_name, default="adam",
                   metavar="NAME",
                   help=f"one of {', '.join(TRAINING_LRS)}")
    p.add_argument("--lr", type=_args.positive_float, default=None,
                   help="learning rate (default: the optimizer's entry in "
                        f"{', '.join(f'{k}={v:g}' for k, v in TRAINING_LRS.items())})")
    p.add_argument("--epochs", type=_args.positive_int, default=40)
    p.add_argument("--batch-size", type=_args.positive_int, default=32)
    _args.add_hidden_option(p)
    _args.add_schedule_options(p)
    _args.add_backend_option(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", default="minigrad-train.ckpt",
                   metavar="PATH", help="where to save the trained state")
    p.add_argument("--no-checkpoint", action="store_true",
                   help="do not save a checkpoint")
    p.add_argument("--plot", metavar="PATH", type=_args.picture_file,
                   help="save a decision-boundary picture here (.png/.svg/.pdf)")
    _args.add_progress_option(p)
    _distributed.add_option(p)
    _monitor.add_option(p)
    p.set_defaults(run=lambda args: _distributed.run(args, run))
    return p


def run(args):
    """Run ``minigrad train`` with the parsed ``args``; returns the exit status."""
    from ..viz import experiments
    from ..viz.registry import display_name, optimizer_class

    if not args.no_checkpoint:  # fail now, not after the training
        _args.check_output_file(args.checkpoint, "--checkpoint",
                                "model.ckpt")
    if args.plot:
        _args.check_output_file(args.plot, "--plot", "boundary.png",
                                make_folders=True)
    lr = TRAINING_LRS[args.optimizer] if args.lr is None else args.lr
    task = experiments.make_task(args.dataset, args.samples, seed=args.seed)
    sizes = [task.X_train.shape[1], *args.hidden, task.n_classes]
    model = experiments.build_model(sizes, args.seed)
    opt = optimizer_class(args.optimizer)(model.parameters(), lr=lr,
                                          backend=args.backend)
    total = args.epochs * experiments.steps_per_epoch(len(task.X_train),
                                                      args.batch_size)
    trainer, ranks = experiments.train, 1
    if getattr(args, "distributed", False):  # each rank: its slice of the batch
        from .. import distributed as dist
        from ..distributed import training

        dist.broadcast_parameters(model)
        opt, trainer, ranks = dist.DistributedOptimizer(opt), training.train, \
            dist.size()
        total = args.epochs * (len(task.X_train) // (args.batch_size * ranks))
    scheduler = experiments.make_scheduler(opt, args.schedule, args.warmup,
                                           total)
    print(f"minigrad train: {display_name(args.optimizer)}(lr={lr:g}, "
          f"backend={args.backend}) on {args.dataset}, MLP {sizes}, "
          f"{args.epochs} epochs of batch {args.batch_size}, schedule "
          f"{args.schedule}" + (f", warmup {args.warmup}" if args.warmup
                                else "")
          + (f", {ranks} processes (global batch {args.batch_size * ranks})"
             if ranks > 1 else ""))
    monitor, on_step = _monitor.start(args, model, opt, total // args.epochs)
    watch = {"on_step": on_step} if monitor else {}  # --distributed has none
    with _args.progress_bar(args.epochs, args.progress,
                            desc="training") as bar:
        result = trainer(model, opt, task, args.epochs, args.batch_size,
                         seed=args.seed, progress=bar, name=args.optimizer,
                         lr=lr, scheduler=scheduler, **watch)
    _monitor.finish(args, monitor)
    print(f"final training loss {result.final_loss:.4f}  "
          f"train accuracy {result.train_acc:.3f}  "
          f"held-out accuracy {result.test_acc:.3f}  "
          f"({result.curve_steps[-1] if result.curve_steps else 0} steps, "
          f"{result.wall_time:.2f} s)")
    if result.diverged:
        _args.warn("the loss became non-finite: try a smaller --lr")
    if ranks > 1 and not dist.is_root():  # rank 0 alone writes
        return 1 if result.diverged else 0
    if not args.no_checkpoint:
        import minigrad as mg

        settings = {"sizes": sizes, "optimizer_name": args.optimizer, "lr": lr,
                    "dataset": args.dataset, "epochs": args.epochs,
                    "seed": args.seed, "schedule": args.schedule,
                    "warmup": args.warmup}
        mg.save({**mg.snapshot(model=model, optimizer=opt), **settings},
                args.checkpoint)
        print(f"checkpoint saved to {args.checkpoint}")
    if args.plot:
        _plot(model, task, args, result)
    return 1 if result.diverged else 0


def _plot(model, task, args, result):
    import numpy as np

    from ..viz import experiments, plots

    X = np.concatenate([task.X_train, task.X_test])
    y = np.concatenate([task.y_train, task.y_test])
    try:
        plots.plot_decision_boundary(
            lambda points: experiments.predict(model, points), X, y,
            args.plot, title=f"{args.optimizer} on {args.dataset}: held-out "
                             f"accuracy {result.test_acc:.2f}")
    except plots.MissingDependencyError as exc:
        _args.warn(f"no plot saved: {exc}")
        return
    print(f"decision boundary saved to {args.plot}")
