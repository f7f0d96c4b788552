"""Run the course's notebooks top to bottom and save them with their outputs.

    python course/build.py            # re-run all, save in place, write figures
    python course/build.py 03         # only the notebooks whose name has "03"
    python course/build.py --check    # re-run, save nothing; exit 1 if stale

Each notebook runs in a fresh kernel (nbclient, needs the ``notebooks``
extra), from the course folder. Saved outputs stay small: figures are
low-dpi PNGs, and widget state is not stored. The first picture of the cell
tagged ``main-figure`` is also written to ``figures/<notebook>.png``.

``--check`` compares what the notebooks print now with what is saved (see
``differences``): the test suite runs the same comparison, so a change in
the library that changes a notebook's output fails the tests until the
notebooks are rebuilt.
"""
import argparse
import base64
import copy
import re
import sys
import time
from pathlib import Path

COURSE = Path(__file__).resolve().parent
FIGURES = COURSE / "figures"
CELL_TIMEOUT = 120          # seconds; a hang guard, not a speed target
WIDGET = "application/vnd.jupyter.widget-view+json"
# numbers agree when |a - b| <= ABS + REL * |b|; cells tagged "tolerant"
# (training runs, whose last digits depend on the CPU's rounding) use the
# looser pair
TOLERANCE = {"default": (1e-6, 1e-6), "tolerant": (2e-2, 5e-2)}
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def notebooks(pattern=""):
    """The course's notebooks, in order, whose file name contains pattern."""
    return [p for p in sorted(COURSE.glob("*.ipynb")) if pattern in p.name]


def execute(path):
    """Run the notebook at ``path`` in a fresh kernel; returns (nb, seconds)."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(COURSE)}},
        record_timing=False)   # widget state is dropped below
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)   # sliders need a live kernel anyway
    return nb, seconds


def main_figure(nb):
    """The PNG bytes of the first picture in the cell tagged main-figure."""
    for cell in nb.cells:
        if "main-figure" in cell.metadata.get("tags", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if "image/png" in data:
                    return base64.b64decode(data["image/png"])
    return None


def _texts(cell):
    """What a code cell showed, as comparable text: streams and text/plain
    results, with widget views and the text beside pictures left out."""
    shown = []
    for out in cell.get("outputs", []):
        kind = out["output_type"]
        if kind == "stream":
            shown.append(out["text"])
        elif kind == "error":
            shown.append(f"{out['ename']}: {out['evalue']}")
        else:
            data = out.get("data", {})
            if WIDGET in data:
                continue
            pictures = [k for k in data if k.startswith("image/")]
            shown.append(f"<{', '.join(sorted(pictures))}>" if pictures
                         else data.get("text/plain", ""))
    return "".join(s if s.endswith("\n") else s + "\n" for s in shown)


def _same_text(old, new, absolute, relative):
    """Equal apart from numbers, and the numbers within tolerance."""
    if NUMBER.sub("#", old) != NUMBER.sub("#", new):
        return False
    for a, b in zip(NUMBER.findall(new), NUMBER.findall(old)):
        a, b = float(a), float(b)
        if abs(a - b) > absolute + relative * abs(b):
            return False
    return True


def differences(saved, fresh):
    """Where the outputs of ``fresh`` differ from those saved: a list of
    messages, empty when the saved notebook is up to date."""
    found = []
    code = [(i, c) for i, c in enumerate(saved.cells) if c.cell_type == "code"]
    new_code = [c for c in fresh.cells if c.cell_type == "code"]
    if [c.source for _, c in code] != [c.source for c in new_code]:
        return ["the notebook's code differs from the one that was run"]
    for (index, old), new in zip(code, new_code):
        tags = old.metadata.get("tags", [])
        absolute, relative = TOLERANCE[
            "tolerant" if "tolerant" in tags else "default"]
        before, now = _texts(old), _texts(new)
        if not _same_text(before, now, absolute, relative):
            found.append(f"cell {index} ({old.source.splitlines()[0][:50]!r})"
                         f" showed:\n{before}\nbut now shows:\n{now}")
    return found


def save(nb, path):
    """Write the executed notebook and its main figure."""
    import nbformat

    nbformat.write(nb, path)
    png = main_figure(nb)
    if png is not None:
        FIGURES.mkdir(exist_ok=True)
        (FIGURES / (path.stem + ".png")).write_bytes(png)


def main(argv=None):
    """Rebuild (or, with --check, compare) the notebooks; exit status."""
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pattern", nargs="?", default="",
                        help="only notebooks whose file name contains this")
    parser.add_argument("--check", action="store_true",
                        help="compare with the saved outputs; save nothing")
    args = parser.parse_args(argv)
    stale = 0
    for path in notebooks(args.pattern):
        try:
            nb, seconds = execute(path)
        except Exception as exc:  # nbclient's CellExecutionError, a dead kernel
            name = getattr(exc, "ename", type(exc).__name__)
            value = getattr(exc, "evalue", str(exc).splitlines()[0])
            print(f"{path.name}: FAILED ({name}: {value}); not saved")
            stale += 1
            continue
        if args.check:
            found = differences(nbformat.read(path, as_version=4), nb)
            stale += bool(found)
            print(f"{path.name}: {seconds:.1f} s, "
                  f"{'STALE' if found else 'up to date'}")
            for message in found:
                print("  " + message.replace("\n", "\n  "))
        else:
            save(copy.deepcopy(nb), path)
            size = path.stat().st_size / 1024
            print(f"{path.name}: ran in {seconds:.1f} s, saved ({size:.0f} KiB)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
