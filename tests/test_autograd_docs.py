"""The snippets in docs/autograd.md, testing.md, optimizers.md, lab.md,
normalization.md and porting.md run as written, and the values their comments
promise are the values they print."""
import contextlib
import io
import pathlib
import re
import warnings

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def promised_outputs(block):
    """(code, expected) for lines like ``print(x.grad)   # [1. 2.]``."""
    for line in block.splitlines():
        match = re.match(r"\s*(print\(.*\))\s+#\s*(.+)$", line)
        if match:
            yield match.group(1), match.group(2).split(":")[0].split(" = ")[0].strip()


@pytest.mark.parametrize("page", ["autograd.md", "testing.md", "optimizers.md",
                                  "lab.md", "normalization.md", "porting.md",
                                  "curvature.md", "watching.md"])
def test_snippets_run_and_print_what_they_say(page):
    blocks = python_blocks(DOCS / page)
    assert blocks, f"no python snippets in {page}"
    namespace = {"__name__": "docs_snippet"}
    for block in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            exec(compile(block, f"{page}", "exec"), namespace)
        printed = out.getvalue()
        for code, expected in promised_outputs(block):
            if "<" in expected or "..." in expected:
                continue  # a placeholder, not a value
            assert expected in printed, f"{page}: {code} should print {expected!r}"
