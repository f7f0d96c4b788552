"""docs/porting.md: its table of PyTorch names is true in both directions,
and its two training loops run and differ only where they say so."""
import contextlib
import importlib
import io
import pathlib
import re

import pytest

PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "porting.md"
TEXT = PAGE.read_text(encoding="utf-8")

OURS = {"mg": "minigrad", "nn": "minigrad.nn", "F": "minigrad.nn.functional",
        "optim": "minigrad.optim", "data": "minigrad.data",
        "minigrad": "minigrad", "torch": "torch"}


def rows():
    for line in TEXT.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2] in ("yes", "differs", "no"):
            yield cells


def names(cell):
    """The dotted names in a cell: "`a.b` / `c`" -> ["a.b", "c"], with a
    trailing "(dim=)" dropped."""
    return [re.sub(r"\(.*\)$", "", n) for n in re.findall(r"`([^`]+)`", cell)]


def resolve(name, roots=OURS):
    head, *rest = name.split(".")
    if head not in roots:
        raise LookupError(f"{name}: unknown root {head!r}")
    obj = importlib.import_module(roots[head])
    for attr in rest:
        if not hasattr(obj, attr):  # a submodule not imported yet
            obj = importlib.import_module(f"{obj.__name__}.{attr}")
        else:
            obj = getattr(obj, attr)
    return obj


def exists(name):
    try:
        resolve(name)
        return True
    except (AttributeError, ModuleNotFoundError, LookupError):
        return False


TABLE = list(rows())
TORCH_ROWS = [r for r in TABLE if r[0].startswith("`torch.")]


def test_the_table_is_there():
    assert len(TABLE) > 80
    assert {r[2] for r in TABLE} == {"yes", "differs", "no"}
    assert all(r[1] == "\u2014" for r in TABLE if r[2] == "no")


@pytest.mark.parametrize("row", [r for r in TABLE if r[2] != "no"],
                         ids=lambda r: r[0])
def test_each_yes_and_differs_name_is_in_minigrad(row):
    for name in names(row[1]):
        assert exists(name), f"porting.md says {name} is {row[2]!r}"


@pytest.mark.parametrize("row", [r for r in TORCH_ROWS if r[2] == "no"],
                         ids=lambda r: r[0])
def test_each_no_name_is_not_in_minigrad(row):
    for name in names(row[0]):
        ours = "minigrad" + name[len("torch"):]
        assert not exists(ours), f"porting.md says {ours} is missing"


@pytest.mark.parametrize("row", TORCH_ROWS, ids=lambda r: r[0])
def test_each_pytorch_name_is_in_pytorch(row):
    pytest.importorskip("torch")
    for name in names(row[0]):
        assert exists(name), f"torch has no {name}"


def blocks():
    torch_block = re.findall(r"```py\n(.*?)```", TEXT, flags=re.S)
    ours = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
    return torch_block[0], ours[0]


def test_the_loops_differ_only_where_marked():
    theirs, ours = (b.splitlines() for b in blocks())
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        if "# differs" in a or "# differs" in b:
            continue
        assert a == b or a == b.replace("minigrad", "torch"), (a, b)


def run(block):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(PAGE), "exec"), {"__name__": "porting"})
    return float(re.search(r"accuracy ([\d.]+)", out.getvalue()).group(1))


def test_the_minigrad_loop_trains():
    """A stable regime (separable blobs, no chaos)."""
    assert run(blocks()[1]) >= 0.9


@pytest.mark.slow
def test_the_pytorch_loop_trains_too():
    """The same loop in PyTorch (slow: a minute on a loaded 2-core machine)."""
    pytest.importorskip("torch")
    assert run(blocks()[0]) >= 0.9
