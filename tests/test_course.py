"""The course's notebooks (course/*.ipynb): each runs top to bottom in a
fresh kernel without an error, within its time budget, and shows what is
saved in it (its outputs are not stale); the saved copies are executed,
small, and their main figures are in course/figures/.

Running the notebooks needs the ``notebooks`` extra (nbclient, nbformat,
ipykernel); notebooks 1 and 2 draw graphs and need the Graphviz ``dot``
program. Without them those tests skip, saying why.
"""
import base64
import importlib.util
import shutil
from pathlib import Path

import pytest

COURSE = Path(__file__).resolve().parents[1] / "course"
NOTEBOOKS = sorted(p.name for p in COURSE.glob("*.ipynb"))
NEEDS_DOT = ("01-", "02-")
BUDGET = 180      # seconds per notebook, kernel start included: a hang guard
MAX_KIB = 400     # a saved notebook, pictures included
MAX_PICTURE_KIB = 150


def load_build():
    spec = importlib.util.spec_from_file_location("course_build",
                                                  COURSE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = load_build()


def saved(name):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(COURSE / name, as_version=4)


def test_five_notebooks():
    assert len(NOTEBOOKS) == 5, NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_saved_notebook_is_executed_small_and_has_its_figure(name):
    nb = saved(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), \
        f"{name} is not saved executed top to bottom: run course/build.py"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert (COURSE / name).stat().st_size <= MAX_KIB * 1024
    for cell in code:
        for out in cell.outputs:
            png = out.get("data", {}).get("image/png", "")
            assert len(png) * 3 / 4 <= MAX_PICTURE_KIB * 1024, \
                f"a picture in {name} is bigger than {MAX_PICTURE_KIB} KiB"
    figure = COURSE / "figures" / (Path(name).stem + ".png")
    assert figure.read_bytes() == build.main_figure(nb), \
        f"{figure} is not the main figure of {name}: run course/build.py"
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_runs_and_its_outputs_are_current(name):
    for package in ("nbclient", "nbformat", "ipykernel"):
        pytest.importorskip(package, reason=f"needs the notebooks extra "
                                            f"({package})")
    if name.startswith(NEEDS_DOT) and shutil.which("dot") is None:
        pytest.skip("draws graphs: needs the Graphviz dot program")
    fresh, seconds = build.execute(COURSE / name)
    assert seconds < BUDGET, f"{name} took {seconds:.0f} s"
    stale = build.differences(saved(name), fresh)
    assert stale == [], (f"{name} now prints something else than it shows; "
                         f"if the change is right, run python course/build.py"
                         f"\n" + "\n".join(stale))


# ---------------------------------------------- the staleness comparison
def cell(source, text, tags=()):
    nbformat = pytest.importorskip("nbformat")
    c = nbformat.v4.new_code_cell(source)
    c.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    c.metadata["tags"] = list(tags)
    return c


def notebook(*cells):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


@pytest.mark.parametrize("old, new, tags, stale", [
    ("loss 0.1365\n", "loss 0.1365\n", (), False),
    ("loss 0.1365\n", "loss 0.0317\n", (), True),      # a number changed
    ("loss 0.1365\n", "loss 0.13650000001\n", (), False),
    ("loss 0.1365\n", "cost 0.1365\n", (), True),      # words changed
    ("acc 0.953\n", "acc 0.947\n", (), True),
    ("acc 0.953\n", "acc 0.947\n", ("tolerant",), False),  # one point flips
    ("loss 0.0317\n", "loss 0.1365\n", ("tolerant",), True),
    ("a\n", "a\nb\n", (), True),                        # a new line
])
def test_differences_sees_what_changed(old, new, tags, stale):
    found = build.differences(notebook(cell("print(x)", old, tags)),
                              notebook(cell("print(x)", new, tags)))
    assert bool(found) == stale, found


def test_differences_compares_pictures_by_presence_not_bytes():
    nbformat = pytest.importorskip("nbformat")

    def with_picture(data):
        c = cell("fig", "")
        c.outputs = [nbformat.v4.new_output(
            "display_data", data={"image/png": data, "text/plain": "<Figure>"})]
        return notebook(c)

    one = base64.b64encode(b"one").decode()
    two = base64.b64encode(b"two").decode()
    assert build.differences(with_picture(one), with_picture(two)) == []
    assert build.differences(with_picture(one), notebook(cell("fig", "")))


def test_differences_wants_the_same_code():
    found = build.differences(notebook(cell("print(1)", "1\n")),
                              notebook(cell("print(2)", "1\n")))
    assert found == ["the notebook's code differs from the one that was run"]


def test_the_sliders_cell_says_so_without_ipywidgets(monkeypatch, capsys):
    pytest.importorskip("IPython")
    nb = saved("04-sgd-to-lamb.ipynb")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = "\n".join(line for line in code[0].splitlines()
                      if not line.startswith("%"))
    sliders = next(src for src in code if "def explore" in src)
    monkeypatch.setitem(__import__("sys").modules, "ipywidgets", None)
    namespace = {}
    exec(setup, namespace)
    exec(sliders, namespace)
    assert "ipywidgets is not installed" in capsys.readouterr().out
