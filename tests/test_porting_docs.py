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
        "optim": "minigrad.optim", "data": "minigrad.data"}
THEIRS = {"torch": "torch", "nn": "torch.nn", "F": "torch.nn.functional",
          "optim": "torch.optim", "utils": "torch.utils",
          "Tensor": ("torch", "Tensor"), "Module": ("torch.nn", "Module"),
          "Optimizer": ("torch.optim", "Optimizer")}


def rows():
    for line in TEXT.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2] in ("yes", "differs", "no"):
            yield cells


def names(cell):
    """The dotted names in a cell: "`a.b` / `c`" -> ["a.b", "c"], with a
    trailing "(dim=)" dropped."""
    return [re.sub(r"\(.*\)$", "", n) for n in re.findall(r"`([^`]+)`", cell)]


def resolve(name, roots):
    head, *rest = name.split(".")
    if head not in roots:
        raise LookupError(f"{name}: unknown root {head!r}")
    root = roots[head]
    module, attrs = (root, rest) if isinstance(root, str) else (
        root[0], [root[1], *rest])
    obj = importlib.import_module(module)
    for attr in attrs:
        if not hasattr(obj, attr):  # a submodule not imported yet
            obj = importlib.import_module(f"{obj.__name__}.{attr}")
        else:
            obj = getattr(obj, attr)
    return obj


def exists(name, roots):
    try:
        resolve(name, roots)
        return True
    except (AttributeError, ModuleNotFoundError, LookupError):
        return False


TABLE = list(rows())


def test_the_table_is_there():
    assert len(TABLE) > 80
    assert {r[2] for r in TABLE} == {"yes", "differs", "no"}


@pytest.mark.parametrize("row", TABLE, ids=[r[0] for r in TABLE])
def test_each_minigrad_name_is_there_exactly_when_the_table_says(row):
    torch_cell, ours, status, _ = row
    for name in names(ours):
        if "." in name and name.split(".")[0] in ("Module", "Optimizer"):
            pytest.fail(f"{name}: write minigrad names with their module")
        assert exists(name, OURS) == (status != "no"), (
            f"porting.md says {name} is {status!r}")


@pytest.mark.parametrize("row", [r for r in TABLE if not r[0].startswith(
    ("`torchvision", "`sklearn"))], ids=lambda r: r[0])
def test_each_pytorch_name_is_in_pytorch(row):
    pytest.importorskip("torch")
    for name in names(row[0]):
        name = "torch.Tensor." + name[len("Tensor."):] if name.startswith(
            "Tensor.") else name
        parts = name.split(".")
        if parts[0] == "Module":
            name = "Module." + parts[1]
        assert exists(name, THEIRS), f"torch has no {name}"


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
