"""The optimizer race: seven update rules, one MLP, the same start.

    python examples/optimizer_race.py [--epochs 30] [--plot race.png]

Every optimizer trains an identical copy of the same MLP (same initial
weights) on the same mini-batches; only the update rule differs. This is
what `minigrad compare` runs, written out with the library calls so you can
change anything: the dataset, the network, a learning rate.
"""
import argparse

from minigrad.viz import experiments
from minigrad.viz.registry import OPTIMIZERS, TRAINING_LRS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--dataset", default="spirals",
                        choices=list(experiments.DATASETS))
    parser.add_argument("--plot", default=None,
                        help="save the loss curves to this PNG")
    args = parser.parse_args()

    task = experiments.make_task(args.dataset, n_samples=600, seed=0)
    lrs = dict(TRAINING_LRS)      # try e.g. lrs["sgd"] = 0.5
    results = experiments.compare_optimizers(
        task, optimizers=list(OPTIMIZERS), hidden=(32, 32),
        epochs=args.epochs, batch_size=32, lrs=lrs, backend="cpu", seed=0,
        target_loss=0.5)
    print(experiments.format_table(results, target_loss=0.5))

    best = min(results, key=lambda r: r.final_loss)
    print(f"\nlowest final loss: {best.optimizer} ({best.final_loss:.4f})")
    if args.plot:
        from minigrad.viz import plots

        curves = {r.optimizer: (r.curve_steps, r.curve_loss) for r in results}
        try:
            plots.plot_loss_curves(curves, args.plot, target=0.5,
                                   title=f"Optimizer race on {args.dataset}")
            print(f"loss curves saved to {args.plot}")
        except ImportError as exc:
            print(f"no picture: {exc}")


if __name__ == "__main__":
    main()
