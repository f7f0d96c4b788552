"""Regenerate every number and picture of docs/watching.md from the code:
``python -m docs.watching_build`` (from the repository root; ``--check``
writes nothing and exits 1 when the page is stale; ``--overhead`` also
re-measures the cost of recording, which ``--check`` never compares: it
is a property of the machine). ``python -m docs.build`` runs it too.

Numbers sit between markers as in docs/build.py. Every training number is
a median (min..max) over seeds, of early steps where a run is not yet
chaotic, so tests/test_watching_docs.py can check it on another CPU.
"""
import argparse
import json
import sys

import numpy as np

from docs import build

PAGE = build.DOCS / "watching.md"
SEEDS = (0, 1, 2, 3, 4)
LRFIND_SEEDS = (0, 1, 2)
EPOCHS = 40
SIZES = [2, 32, 32, 3]
# name on the page -> (optimizer, lr); all on spirals, batch 32, seeds SEEDS
SCENARIOS = {"healthy": ("adam", 0.01), "high": ("sgd", 10.0),
             "low": ("adam", 1e-5), "dying": ("sgd", 2.0)}
TITLES = {"healthy": "healthy: Adam, lr 0.01", "high": "lr too high: SGD, lr 10",
          "low": "lr too low: Adam, lr 1e-5", "dying": "dying ReLUs: SGD, lr 2"}
EARLY = 100  # steps whose ratios the page quotes


def watched_run(name, lr, seed, epochs=EPOCHS):
    """(RunResult, stopped Monitor) of one run on spirals."""
    from minigrad.diagnostics import Monitor
    from minigrad.viz import experiments as ex
    from minigrad.viz.registry import optimizer_class

    task = ex.make_task("spirals", 600, seed=seed)
    model = ex.build_model(SIZES, seed)
    opt = optimizer_class(name)(model.parameters(), lr=lr)
    monitor = Monitor(model, opt)
    with np.errstate(all="ignore"):
        result = ex.train(model, opt, task, epochs, 32, seed=seed, name=name,
                          lr=lr, on_step=lambda *_: monitor.record())
    monitor.stop()
    return result, monitor


def spread(values, fmt=build.g3):
    values = np.asarray(values, dtype=float)
    return f"{fmt(np.median(values))} ({fmt(values.min())}..{fmt(values.max())})"


def pct(x):
    return f"{100 * x:.0f}%"


def weights(monitor):
    return [j for j, p in enumerate(monitor.params) if p.data.ndim == 2]


def biases(monitor):
    return [j for j, p in enumerate(monitor.params) if p.data.ndim == 1]


def scenario_facts():
    """Ratios, losses and dead units of the four runs; and seed 0's runs."""
    f, shown = {}, {}
    for key, (name, lr) in SCENARIOS.items():
        ratio, ratio10, first, last, dead0, dead = [], [], [], [], [], []
        for seed in SEEDS:
            result, mon = watched_run(name, lr, seed)
            early = mon.series("ratio")[:EARLY][:, weights(mon)]
            ratio.append(np.nanmedian(early))
            ratio10.append(np.nanmedian(early[:10]))
            first.append(result.curve_loss[0])
            last.append(result.final_loss)
            per_step = mon.dead_units().mean(axis=1)  # both ReLU layers
            dead0.append(per_step[:15].mean())     # the first epoch
            dead.append(per_step[-15:].mean())     # the last one
            if seed == 0:
                shown[key] = (result, mon)
        f[f"{key}.ratio"] = spread(ratio)
        f[f"{key}.ratio10"] = spread(ratio10)
        f[f"{key}.loss1"] = spread(first, lambda x: f"{x:.2f}")
        f[f"{key}.loss"] = spread(last, lambda x: f"{x:.2f}")
        f[f"{key}.dead0"] = spread(dead0, pct)
        f[f"{key}.dead"] = spread(dead, pct)
    return f, shown


def lamb_facts():
    """LAMB at lr 0.01: trust ratios and norms of weights and biases over
    the first EARLY steps."""
    f, tw, tb, bias_norm, wu, bu = {}, [], [], [], [], []
    runs = {}
    for seed in SEEDS:
        _, mon = watched_run("lamb", 0.01, seed, epochs=7)
        trust = mon.series("trust_ratio")[1:EARLY]
        tw.append(np.median(trust[:, weights(mon)]))
        tb.append(np.median(trust[:, biases(mon)]))
        norms = mon.series("weight_norm")
        bias_norm.append(np.median(norms[EARLY - 1, biases(mon)]))
        update = mon.series("update_norm")[1:EARLY]
        wu.append(np.median(update[:, weights(mon)]))
        bu.append(np.median(update[:, biases(mon)]))
        runs[seed] = mon
        if seed == 0:  # early steps of one run, shown as printed
            f["monitor.sample"] = build.fenced(mon.summary(last=45))
    f["lamb.trust.weights"] = spread(tw)
    f["lamb.trust.biases"] = spread(tb)
    f["lamb.bias.norm100"] = spread(bias_norm)
    f["lamb.update.weights"] = spread(wu)
    f["lamb.update.biases"] = spread(bu)
    f["lamb.bias.bound"] = build.g3(1.01 ** EARLY)
    return f, runs[0]


def lrfind_facts(cells=None):
    """lr_find's suggestion per rule (median over LRFIND_SEEDS) against the
    sweep's best lr (``viz.sweep``, as lab.md shows it)."""
    from minigrad.cli.lrfind import find
    from minigrad.viz.registry import OPTIMIZERS, display_name
    from minigrad.viz.sweep import best_lrs, sweep

    if cells is None:
        cells = sweep("spirals", seeds=(0, 1, 2), backend="cpu")
    best = best_lrs(cells)
    found = {}
    for seed in LRFIND_SEEDS:
        args = argparse.Namespace(
            optimizer=list(OPTIMIZERS), dataset="spirals", samples=600,
            hidden=(32, 32), batch_size=32, steps=300, start_lr=1e-5,
            end_lr=10.0, beta=0.98, diverge=4.0, backend="cpu", seed=seed)
        found[seed] = find(args)
    rows, factors = [], []
    for name in OPTIMIZERS:
        steep = [found[s][name].suggestion for s in LRFIND_SEEDS]
        tenth = [found[s][name].min_lr / 10 for s in LRFIND_SEEDS]
        factor = float(np.median(steep)) / best[name]
        factors.append(max(factor, 1 / factor))
        rows.append(f"| {display_name(name)} | {spread(steep, g2)} | "
                    f"{spread(tenth, g2)} | {best[name]:g} | {g2(factor)} |")
    f = {"lrfind.table": "\n".join([
        "", "| optimizer | steepest (lr_find's suggestion) | minimum / 10 "
        "| sweep's best | suggestion / best |", "|---|---|---|---|---|",
        *rows, ""])}
    f["lrfind.within2"] = str(sum(x <= 2 for x in factors))
    f["lrfind.within3"] = str(sum(x <= 3.2 for x in factors))
    f["lrfind.worst"] = g2(max(factors))
    return f, found[LRFIND_SEEDS[0]], best


def g2(x):
    return f"{x:.2g}"


def overhead_facts(reps=201):
    sys.path.insert(0, str(build.DOCS.parent))
    from benchmarks.bench_monitor import format_results, measure

    found = measure(reps)
    ons = [m["on"] / m["plain for on"] for m in found.values()]
    offs = [m["off"] / m["plain"] for m in found.values()]
    again = [m["plain again"] / m["plain"] for m in found.values()]
    return {"overhead.table": "\n" + format_results(found) + "\n",
            "overhead.on": f"{100 * (min(ons) - 1):.0f}..{100 * (max(ons) - 1):.0f}%",
            "overhead.off": f"{min(offs):.3f}..{max(offs):.3f}",
            "overhead.again": f"{min(again):.3f}..{max(again):.3f}"}


def pictures(shown, lamb_monitor, lrfind_runs, best, draw=True):
    from minigrad.diagnostics.plots import plot_lrfind, plot_runs
    from minigrad.viz.registry import display_name

    if draw:
        plot_runs({TITLES[k]: (r.curve_steps, r.curve_loss, m)
                   for k, (r, m) in shown.items()},
                  build.IMG / "watching-runs.png")
        lamb_monitor.plot(build.IMG / "watching-lamb.png",
                          title="LAMB, lr 0.01, on spirals (seed 0)")
        plot_lrfind({display_name(n): r for n, r in lrfind_runs.items()},
                    build.IMG / "watching-lrfind.png",
                    title="lr range test on spirals (seed 0); dashed: the "
                          "sweep's best lr",
                    marks={display_name(n): lr for n, lr in best.items()})

    def every(a, k=10):
        return np.asarray(a)[::k].tolist()

    return {
        "watching-runs": {k: {"loss": r.curve_loss,
                              "ratio": every(m.series("ratio")),
                              "dead": every(m.dead_units())}
                          for k, (r, m) in shown.items()},
        "watching-lamb": {"trust_ratio": every(
            lamb_monitor.series("trust_ratio")), "weight_norm": every(
            lamb_monitor.series("weight_norm"))},
        "watching-lrfind": {n: r.smoothed.tolist()
                            for n, r in lrfind_runs.items()},
    }


def facts_and_pictures(cells=None, draw=True):
    facts, shown = scenario_facts()
    lamb, lamb_monitor = lamb_facts()
    lrf, lrfind_runs, best = lrfind_facts(cells)
    data = pictures(shown, lamb_monitor, lrfind_runs, best, draw)
    return {**facts, **lamb, **lrf}, data


def main(argv=None, cells=None):
    parser = argparse.ArgumentParser(prog="python -m docs.watching_build",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the page is stale")
    parser.add_argument("--overhead", action="store_true",
                        help="also re-measure the cost of recording")
    parser.add_argument("--overhead-only", action="store_true",
                        help="only re-measure the cost of recording")
    args = parser.parse_args(argv)
    facts, data = ({}, {}) if args.overhead_only else facts_and_pictures(
        cells, draw=not args.check)
    if (args.overhead or args.overhead_only) and not args.check:
        facts.update(overhead_facts())
    old = PAGE.read_text(encoding="utf-8")
    new = build.render(old, facts)
    if not args.check:
        PAGE.write_text(new, encoding="utf-8")
        for name, values in data.items():
            build.DATA.mkdir(parents=True, exist_ok=True)
            (build.DATA / f"{name}.json").write_text(
                json.dumps(values, indent=0) + "\n", encoding="utf-8")
    print(f"watching.md: {len(facts)} numbers, {len(data)} pictures; "
          f"{'stale' if new != old else 'up to date'}")
    return 1 if args.check and new != old else 0


if __name__ == "__main__":
    sys.exit(main())
