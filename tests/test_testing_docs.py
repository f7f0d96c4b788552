"""docs/testing.md shows what the code prints: every output block after
"prints" is what the snippet before it prints, and the fast-mode miss table
is what examples/fast_mode_misses.py measures (slow: it runs 200 seeds)."""
import contextlib
import io
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "testing.md"
BLOCK = re.compile(r"```(python)?\n(.*?)```(\n\nprints[^\n]*\n\n```\n(.*?)```)?",
                   flags=re.S)


def test_every_shown_output_is_what_its_snippet_prints():
    namespace = {"__name__": "docs_snippet"}
    shown = 0
    for match in BLOCK.finditer(PAGE.read_text(encoding="utf-8")):
        if match.group(1) != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(match.group(2), "testing.md", "exec"), namespace)
        if match.group(4) is not None:
            shown += 1
            assert out.getvalue().split() == match.group(4).split()
    assert shown >= 2  # the failure message and the fast-mode report


def miss_table(text):
    lines = [line for line in text.splitlines() if line.startswith("| x1.5 |")
             or line.startswith("| +rms |")]
    return {line.split("|")[1].strip(): [float(cell.strip(" %")) for cell in
                                         line.split("|")[2:-1]]
            for line in lines}


def test_the_page_has_the_miss_table():
    table = miss_table(PAGE.read_text(encoding="utf-8"))
    assert set(table) == {"x1.5", "+rms"}
    for rates in table.values():  # more directions never miss more often
        assert rates == sorted(rates, reverse=True)


@pytest.mark.slow
def test_the_miss_table_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "fast_mode_misses.py")],
        capture_output=True, text=True, timeout=3600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    measured = miss_table(result.stdout)
    shown = miss_table(PAGE.read_text(encoding="utf-8"))
    for kind, rates in shown.items():  # another CPU may round a case apart
        assert rates == pytest.approx(measured[kind], abs=2.0), kind
    # the page says the element-wise check catches every planted error
    assert ("catches x1.5: 200 of 200, +rms: 200 of 200" in result.stdout)
