"""docs/watching.md says what the code does: its pictures and their data
exist, every marked number has a source in docs/watching_build.py, the
page's snippets run (tests/test_autograd_docs.py), and in the slow run its
training numbers are what the build computes now, within their spread."""
import json
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs import build, watching_build  # noqa: E402

PAGE = ROOT / "docs" / "watching.md"
TIMING = ("overhead.",)  # properties of the machine: never compared


def marks():
    return build.marked(PAGE.read_text(encoding="utf-8"))


def test_every_number_is_filled_in_and_has_a_source():
    shown = marks()
    assert len(shown) > 30
    assert [k for k, v in shown.items() if v.strip() in ("", "?")] == []
    source = (ROOT / "docs" / "watching_build.py").read_text()
    keys = set(re.findall(r'f?"([\w.{}]+)"', source))
    made = [re.compile(k.replace(".", r"\.").replace("{key}", "(" + "|".join(
        watching_build.SCENARIOS) + ")")) for k in keys]
    orphans = [key for key in shown
               if not any(m.fullmatch(key) for m in made)]
    assert orphans == [], "shown, but docs/watching_build.py never makes them"


def test_pictures_and_their_data_exist():
    shown = re.findall(r"\]\((img/[^)]+)\)", PAGE.read_text())
    assert len(shown) == 3
    for target in shown:
        assert (ROOT / "docs" / target).exists(), target
        data = build.DATA / f"{pathlib.Path(target).stem}.json"
        assert json.loads(data.read_text()), data


def test_the_page_is_linked_from_the_docs_index():
    assert "(watching.md)" in (ROOT / "docs" / "README.md").read_text()


@pytest.mark.slow
def test_training_numbers_are_current_within_their_spread():
    """Re-run the page's runs (a few minutes): the medians over seeds may
    move a little on another CPU (BLAS rounding); 30% or 0.02 absolute on
    each number, the lrfind table's suggestions within a factor 2."""
    facts, _ = watching_build.facts_and_pictures(draw=False)
    shown, stale = marks(), []
    for key, value in facts.items():
        if key.startswith(TIMING) or key == "monitor.sample":
            continue
        a = [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?",
                                          shown[key])]
        b = [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e-?\d+)?", value)]
        rel = 1.0 if key == "lrfind.table" else 0.3
        same = len(a) == len(b) and all(
            abs(x - y) <= max(rel * max(abs(x), abs(y)), 0.02)
            for x, y in zip(a, b))
        if not same:
            stale.append(f"{key}: page {shown[key]!r}, code {value!r}")
    assert stale == [], "run python -m docs.watching_build\n" + "\n".join(stale)
