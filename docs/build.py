"""Regenerate every number, table and picture in docs/optimizers.md and
docs/lab.md from the code: ``python -m docs.build`` (from the repository
root; ``--cheap`` skips the training runs, ``--check`` writes nothing and
exits 1 when a page is stale).

A number in a page sits between two markers, ``<!--=key-->0.18<!--/-->``
(invisible when the page is rendered), and this script rewrites what is
between them. Each picture in docs/img is drawn from data that is saved
next to it as ``docs/img/data/<name>.json``, so tests/test_docs_build.py
can compare the data behind a picture, not PNG bytes.

Groups marked ``cheap`` (the 2-D landscapes: float64, element-wise, the
same on every CPU) are recomputed by the default test run; the training
groups (BLAS rounding differs between CPUs, and long runs are chaotic) are
reported over several seeds as median and min..max, and are checked by the
slow test within their tolerance.
"""
import argparse
import json
import pathlib
import re
import sys

import numpy as np

DOCS = pathlib.Path(__file__).resolve().parent
IMG = DOCS / "img"
DATA = IMG / "data"
PAGES = [DOCS / "optimizers.md", DOCS / "lab.md"]
MARK = re.compile(r"<!--=([\w.-]+)-->(.*?)<!--/-->", flags=re.S)
SEEDS = (0, 1, 2, 3, 4)


def g3(x):
    return f"{x:.3g}"


def point(p):
    return f"({p[0]:.3f}, {p[1]:.3f})"


def sci(x):
    """1.2e-05 -> $1.2\\times10^{-5}$ (math; the markers stay outside)."""
    mant, exp = f"{x:.1e}".split("e")
    return f"${mant}\\times10^{{{int(exp)}}}$"


def fenced(text):
    """A text block for a page (markers sit outside the fence)."""
    return f"\n```text\n{text}\n```\n"


def first(mask):
    """Index of the first True (len(mask) if none)."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else len(mask)


# ------------------------------------------------------------- landscapes
def landscape_facts():
    """The numbers the optimizer sections quote about the 2-D paths."""
    from minigrad.viz.studies import momentum_limit, stable_lr
    from minigrad.viz.surfaces import SURFACES, path_losses, run_path

    rav, ros, sad = (SURFACES[k] for k in ("ravine", "rosenbrock", "saddle"))
    f = {}

    def gaps(surface, name, **kw):
        return path_losses(surface, run_path(surface, name, **kw))

    def dist(surface, path):
        return float(np.linalg.norm(path[-1] - np.array(surface.minimum)))

    p = run_path(rav, "sgd")
    f["sgd.ravine.x"] = f"{p[-1][0]:.2f}"
    f["sgd.ravine.dist"] = f"{dist(rav, p):.3f}"
    f["sgd.limit.theory"] = g3(momentum_limit(2.0))
    f["sgd.limit.measured"] = f"{stable_lr('sgd'):.3f}"
    f["sgd.rosen.end"] = point(run_path(ros, "sgd", lr=0.002)[-1])
    with np.errstate(all="ignore"):
        g = gaps(ros, "sgd", lr=0.003)
    late = g[500:]
    f["sgd.rosen003.peak"] = g3(late.max())
    f["sgd.rosen003.peakstep"] = str(500 + int(late.argmax()))
    f["sgd.rosen003.end"] = g3(g[-1])
    f["sgd.saddle.leave"] = str(first(np.abs(run_path(sad, "sgd")[:, 1]) > 0.5))

    f["mom.limit.theory"] = g3(momentum_limit(2.0, 0.9))
    f["mom.limit.measured"] = f"{stable_lr('momentum'):.2f}"
    for lr in (0.9, 1.0, 10.0):
        away = dist(rav, run_path(rav, "momentum", lr=lr))
        f[f"mom.ravine.dist.{lr:g}"] = f"{away:.3f}"
    f["mom.saddle.y01"] = f"{run_path(sad, 'momentum', lr=0.1)[-1][1]:.2f}"
    f["mom.saddle.leave1"] = str(first(np.abs(run_path(
        sad, "momentum", lr=1.0)[:, 1]) > 0.5))
    f["mom.rosen.end"] = point(run_path(ros, "momentum")[-1])

    f["adagrad.rosen.end"] = point(run_path(ros, "adagrad")[-1])
    f["adagrad.saddle.leave"] = str(first(np.abs(run_path(
        sad, "adagrad")[:, 1]) > 0.5))
    g = gaps(sad, "rmsprop")
    f["rmsprop.saddle.best"] = sci(g.min())
    f["rmsprop.saddle.end"] = sci(g[-1])

    for name in ("ravine", "rosenbrock"):
        g = gaps(SURFACES[name], "adam", steps=3000)
        f[f"adam.{name}.3000"] = sci(g[-1])
    pa, pw = run_path(ros, "adam"), run_path(ros, "adamw")
    f["adamw.rosen.end"], f["adam.rosen.end"] = point(pw[-1]), point(pa[-1])
    ga, gw = gaps(ros, "adam", lr=0.3), gaps(ros, "adamw", lr=0.3)
    f["adam.rosen03.gap"], f["adamw.rosen03.gap"] = sci(ga[-1]), g3(gw[-1])
    f["adamw.rosen03.dist"] = g3(dist(ros, run_path(ros, "adamw", lr=0.3)))

    p = run_path(ros, "lamb")
    g = path_losses(ros, p)
    f["lamb.rosen.plateau"] = str(int(np.sum((g > 0.9) & (g < 1.1))))
    best = int(g.argmin())
    f["lamb.rosen.best.gap"] = sci(g[best])
    f["lamb.rosen.best.dist"] = g3(np.linalg.norm(p[best] - 1.0))
    f["lamb.rosen.last.gap"] = sci(g[-1])
    f["lamb.rosen.last.dist"] = g3(np.linalg.norm(p[-1] - 1.0))
    return f


def noise_facts():
    """Noise floors on the ravine: median f - f_min over the last third of
    3000 steps, median over SEEDS."""
    from minigrad.viz.surfaces import SURFACES, path_losses, run_path

    rav = SURFACES["ravine"]
    f = {}
    for name, lr in (("sgd", 0.3), ("sgd", 0.09), ("adam", 0.2),
                     ("adam", 0.05)):
        floors = []
        for seed in SEEDS:
            g = path_losses(rav, run_path(rav, name, lr=lr, steps=3000,
                                          noise=1.0, seed=seed))
            floors.append(np.median(g[-1000:]))
        f[f"noise.{name}.{lr:g}"] = g3(np.median(floors))
    return f


def limit_facts():
    """Momentum's |v| never exceeds max |g| so far (the EMA is an average)."""
    from minigrad.viz.trace import trace

    rows = trace("momentum", "ravine", steps=100, lr=10.0)
    biggest = max(np.max(np.abs(r.state["velocity"]) /
                         np.max([np.abs(q.grad) for q in rows[:r.t]], axis=0))
                  for r in rows)
    return {"mom.v_over_g": f"{biggest:.2f}"}


def decay_facts():
    from minigrad.viz.studies import decay_demo

    runs = decay_demo()
    f = {}
    for name, run in runs.items():
        for k, scale in enumerate(run.scales):
            f[f"decay.{name}.{scale:g}"] = f"{run.mean_p[-1, k]:.3f}"
    f["decay.expected"] = f"{(1 - 0.01 * 0.1) ** 1000:.3f}"
    return f, runs


def trace_facts():
    from minigrad.viz.trace import format_trace, trace

    from minigrad.viz.trace import format_trace_net, trace_net

    net = trace_net("lamb", sizes=(2, 8, 3), steps=2, lr=0.01)
    rows = trace("adam", steps=2)
    g, rate = rows[0].grad, rows[0].effective_lr
    return {"trace.adam": fenced(format_trace(rows, "adam")),
            "trace.lamb": fenced(format_trace(trace("lamb", steps=1), "lamb")),
            "trace.lamb.net": fenced(format_trace_net(net, "lamb")),
            "trace.adam.g_ratio": f"{abs(g[1] / g[0]):.0f}",
            "trace.adam.rate_x": f"{rate[0]:.2f}",
            "trace.adam.rate_y": f"{rate[1]:.2f}"}


# --------------------------------------------------------- training runs
def compare_facts():
    """The compare table (seed 0, default backend) and each optimizer's
    median and min..max over SEEDS on both backends."""
    from minigrad.viz import experiments as ex

    f = {}
    runs = {}
    for backend in ("cpu", "numpy"):
        for seed in SEEDS:
            task = ex.make_task("spirals", 600, seed=seed)
            runs[backend, seed] = ex.compare_optimizers(
                task, epochs=40, backend=backend, seed=seed)
    f["compare.table"] = fenced(_table_without_time(runs["cpu", 0]))
    rows = []
    for k, name in enumerate(ex.OPTIMIZERS):
        cells = [ex.OPTIMIZERS[name]]
        for backend in ("cpu", "numpy"):
            loss = [runs[backend, s][k].final_loss for s in SEEDS]
            acc = [runs[backend, s][k].test_acc for s in SEEDS]
            cells += [f"{np.median(loss):.3f} ({min(loss):.3f}..{max(loss):.3f})",
                      f"{np.median(acc):.3f} ({min(acc):.3f}..{max(acc):.3f})"]
        rows.append("| " + " | ".join(cells) + " |")
    f["compare.seeds"] = "\n".join([
        "", "| optimizer | loss, cpu | held-out acc, cpu | loss, numpy "
        "| held-out acc, numpy |", "|---|---|---|---|---|", *rows, ""])
    return f, runs["cpu", 0]


def _table_without_time(results):
    from minigrad.viz.experiments import format_table

    lines = format_table(results, 0.3).splitlines()
    cut = lines[0].index("wall time") if "wall time" in lines[0] else None
    return "\n".join(line[:cut].rstrip() for line in lines)


def sweep_facts():
    from minigrad.viz.registry import TRAINING_LRS
    from minigrad.viz.sweep import best_lrs, format_sweep, sweep

    cells = sweep("spirals", seeds=(0, 1, 2), backend="cpu")
    best = best_lrs(cells)
    f = {"sweep.table": fenced(format_sweep(cells))}
    f["sweep.best"] = ", ".join(f"{k} {v:g}" for k, v in best.items())
    f["sweep.registered"] = ", ".join(f"{k} {v:g}" for k, v in
                                      TRAINING_LRS.items())
    return f, cells


def lamb_facts():
    """Norm growth, collapse, the bias freeze, and schedules for LAMB."""
    from minigrad.viz.studies import norm_run

    f = {}
    runs = {"0.01": norm_run(lr=0.01), "0.05": norm_run(lr=0.05),
            "adamw": norm_run("adamw", lr=0.01)}
    for key, run in runs.items():      # early steps only: late ones are chaotic
        for i, name in enumerate(run.names):
            for step in (1, 100):
                f[f"norm.{key}.{name}.{step}"] = g3(run.norms[step, i])
    big = runs["0.05"].norms[:, 2]        # the 32x32 hidden weight
    f["norm.0.05.growth100"] = f"{(big[100] / big[0]) ** (1 / 100):.4f}"
    settings = [("constant", 0), ("cosine", 0), ("cosine", 30)]
    curves = {}
    for key, biases in (("lamb.schedules", None),
                        ("lamb.schedules.biases", {"adapt": False})):
        table = []
        for lr in (0.01, 0.03, 0.05):
            row = [f"{lr:g}"]
            for schedule, warmup in settings:
                accs = []
                for seed in (0, 1, 2):
                    run = norm_run(lr=lr, schedule=schedule, warmup=warmup,
                                   seed=seed, bias_options=biases)
                    accs.append(run.result.test_acc)
                    if seed == 0 and lr == 0.03 and biases is None:
                        label = schedule + (f" + warmup {warmup}" if warmup
                                            else "")
                        curves[label] = run
                row.append(f"{np.median(accs):.3f} "
                           f"({min(accs):.3f}..{max(accs):.3f})")
            table.append("| " + " | ".join(row) + " |")
        f[key] = "\n".join([
            "", "| lr | constant | cosine | warmup 30 + cosine |",
            "|---|---|---|---|", *table, ""])
    return f, runs, curves


# -------------------------------------------------------------- pictures
def _save_data(name, data):
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / f"{name}.json").write_text(json.dumps(data, indent=0) + "\n",
                                       encoding="utf-8")


def path_pictures(draw=True):
    """The landscape pictures: paths-<surface>.png, paths-<optimizer>.png;
    returns {picture name: data} (each path every 10th point, float64)."""
    from minigrad.viz import plots
    from minigrad.viz.registry import OPTIMIZERS
    from minigrad.viz.surfaces import SURFACES, run_path, run_paths

    data, every = {}, 10
    all_paths = {s: run_paths(SURFACES[s]) for s in SURFACES}
    for sname, paths in all_paths.items():
        data[f"paths-{sname}"] = {n: p[::every].tolist() for n, p in paths.items()}
        if draw:
            plots.plot_paths(SURFACES[sname], paths, IMG / f"paths-{sname}.png",
                             lrs={n: SURFACES[sname].lrs[n] for n in paths})
    for name in OPTIMIZERS:
        pairs = [(SURFACES[s], all_paths[s][name]) for s in SURFACES]
        refs = [("Adam (no decay), same lr", run_path(s, "adam", lr=s.lrs[name]))
                if name == "adamw" else None for s, _ in pairs]
        data[f"paths-{name}"] = {s: all_paths[s][name][::every].tolist()
                                 for s in SURFACES}
        if draw:
            plots.plot_optimizer_paths(name, pairs, IMG / f"paths-{name}.png",
                                       lrs=[s.lrs[name] for s, _ in pairs],
                                       references=refs)
    return data


def noise_picture(draw=True):
    from minigrad.viz import plots
    from minigrad.viz.surfaces import SURFACES, run_paths

    rav = SURFACES["ravine"]
    lrs = {"sgd": 0.3, "adam": 0.2}
    paths = run_paths(rav, ("sgd", "adam"), lrs=lrs, steps=400, noise=1.0)
    if draw:
        plots.plot_paths(rav, paths, IMG / "paths-ravine-noise.png", lrs=lrs)
    return {"paths-ravine-noise": {n: p[::10].tolist() for n, p in paths.items()}}


def decay_picture(runs, draw=True):
    from minigrad.viz import figures

    if draw:
        figures.plot_decay(runs, IMG / "decay-adam-vs-adamw.png", lr=0.01,
                           weight_decay=0.1)
    return {"decay-adam-vs-adamw": {n: r.mean_p[::50].tolist()
                                    for n, r in runs.items()}}


def training_pictures(compare_results, cells, norm_runs, curves):
    from minigrad.viz import figures, plots

    plots.plot_loss_curves(
        {r.optimizer: (r.curve_steps, r.curve_loss) for r in compare_results},
        IMG / "compare-spirals.png", target=0.3,
        accuracy={r.optimizer: (r.curve_steps, r.curve_test_acc)
                  for r in compare_results},
        lrs={r.optimizer: r.lr for r in compare_results},
        title="Training loss on spirals (whole training set)")
    figures.plot_sweep(cells, IMG / "sweep-spirals.png",
                       title="Final loss on spirals against lr (3 seeds)")
    figures.plot_norms([norm_runs["0.01"], norm_runs["0.05"],
                        norm_runs["adamw"]], IMG / "lamb-norms.png")
    figures.plot_schedules({k: r.lrs for k, r in curves.items()},
                           {k: (r.result.curve_steps, r.result.curve_loss)
                            for k, r in curves.items()},
                           IMG / "schedules-lamb.png")
    return {
        "compare-spirals": {r.optimizer: r.curve_loss for r in compare_results},
        "sweep-spirals": {f"{c.optimizer} {c.lr:g}": c.losses for c in cells},
        "lamb-norms": {k: r.norms[::20].tolist() for k, r in norm_runs.items()},
        "schedules-lamb": {k: r.result.curve_loss for k, r in curves.items()},
    }


# ------------------------------------------------------------------ pages
def cheap_facts():
    """Every cheap number: {key: text}."""
    facts = {**landscape_facts(), **noise_facts(), **limit_facts(),
             **trace_facts()}
    decay, _ = decay_facts()
    return {**facts, **decay}


def render(text, facts):
    """``text`` with every marked number replaced by ``facts[key]``
    (unknown keys are left as they are)."""
    return MARK.sub(lambda m: f"<!--={m.group(1)}-->"
                    f"{facts.get(m.group(1), m.group(2))}<!--/-->", text)


def marked(text):
    """{key: text} of the marked numbers in a page."""
    return dict(MARK.findall(text))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m docs.build",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--cheap", action="store_true",
                        help="only the landscape numbers and pictures")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a page is stale")
    args = parser.parse_args(argv)
    facts = {**landscape_facts(), **noise_facts(), **limit_facts(),
             **trace_facts()}
    decay, decay_runs = decay_facts()
    facts.update(decay)
    draw = not args.check
    pictures = {**path_pictures(draw), **noise_picture(draw),
                **decay_picture(decay_runs, draw)}
    if not args.cheap:
        compare, first_run = compare_facts()
        sweep, cells = sweep_facts()
        lamb, norm_runs, curves = lamb_facts()
        facts.update({**compare, **sweep, **lamb})
        if draw:
            pictures.update(training_pictures(first_run, cells, norm_runs,
                                              curves))
    stale = []
    for page in PAGES:
        old = page.read_text(encoding="utf-8")
        new = render(old, facts)
        if new != old:
            stale.append(page.name)
            if draw:
                page.write_text(new, encoding="utf-8")
    if draw:
        for name, data in pictures.items():
            _save_data(name, data)
    missing = sorted(set(k for p in PAGES for k in marked(
        p.read_text(encoding="utf-8"))) - set(facts))
    print(f"{len(facts)} numbers, {len(pictures)} pictures; "
          f"{'stale: ' + ', '.join(stale) if stale else 'pages up to date'}"
          + (f"; not computed here: {', '.join(missing)}" if missing else ""))
    if not args.cheap:  # watching.md: its own script, this sweep's best lrs
        from docs import watching_build

        if watching_build.main(["--check"] if args.check else [], cells=cells):
            stale.append("watching.md")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
