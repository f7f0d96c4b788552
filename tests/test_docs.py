"""The documentation says what the code does: the files and names it cites
exist, its command lines parse, and the source and output it quotes are the
real ones. (The pages' snippets run in test_autograd_docs.py, README.md's in
test_readme.py.)"""
import ast
import contextlib
import importlib
import io
import pathlib
import re
import shlex

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# performance.md is generated with the benchmarks and checked there.
PAGES = [ROOT / "README.md", ROOT / "examples" / "README.md"] + sorted(
    p for p in DOCS.glob("*.md") if p.name != "performance.md")
PREFIXES = {"mg": "minigrad", "nn": "minigrad.nn",
            "F": "minigrad.nn.functional", "optim": "minigrad.optim"}


def code_spans(text):
    return re.findall(r"`([^`\n]+)`", text)


def blocks(text, language):
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def resolve(dotted):
    """The object a dotted name like ``mg.nn.utils.clip_grad_norm_`` names."""
    head, *rest = dotted.split(".")
    module = PREFIXES.get(head, head)
    obj = importlib.import_module(module)
    for i, part in enumerate(rest):
        if hasattr(obj, part):
            obj = getattr(obj, part)
        else:  # a submodule not imported by its package
            obj = importlib.import_module(".".join([module, *rest[:i + 1]]))
    return obj


@pytest.mark.parametrize("page", PAGES,
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_cited_files_and_names_exist(page):
    missing = []
    for span in code_spans(page.read_text(encoding="utf-8")):
        span = span.strip()
        if re.fullmatch(r"(minigrad|tests|examples|benchmarks|docs|\.ci)/[\w/.-]*",
                        span):
            if not (ROOT / span).exists():
                missing.append(span)
        elif re.fullmatch(r"[\w/]+\.py", span):
            if not any(ROOT.glob(f"**/{span}")):
                missing.append(span)
        elif re.fullmatch(r"(mg|minigrad|nn|F|optim)(\.\w+)+(\(.*\))?", span):
            try:
                resolve(span.split("(")[0])
            except (AttributeError, ImportError):
                missing.append(span)
    assert missing == [], f"{page.name} cites what does not exist: {missing}"


def test_dotted_names_in_docstrings_and_pages_exist():
    """``minigrad.x.y`` written anywhere in the package or the pages names a
    real module or attribute (a renamed module leaves such names behind)."""
    sources = [*PAGES, *sorted((ROOT / "minigrad").rglob("*.py"))]
    missing = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"\bminigrad(?:\.[A-Za-z_]\w*)+", text):
            if name.endswith("__main__"):
                continue  # importing it runs the command line
            try:
                resolve(name)
            except (AttributeError, ImportError):
                missing.add(f"{path.relative_to(ROOT)}: {name}")
    assert sorted(missing) == []


def command_lines():
    """Every ``minigrad ...`` command in the pages and in the commands'
    own --help examples, as (where, argv)."""
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        candidates = code_spans(text)
        for block in blocks(text, "bash"):
            for line in block.splitlines():
                candidates += line.split("#")[0].split("&&")
        for candidate in candidates:
            candidate = candidate.strip()
            if candidate.startswith("minigrad ") and "<" not in candidate:
                found.append((page.name, shlex.split(candidate)[1:]))
    for path in sorted((ROOT / "minigrad" / "cli").glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#")[0].strip()
            if line.startswith("minigrad ") and '"' not in line:
                found.append((path.name, shlex.split(line)[1:]))
    return found


def test_every_documented_command_line_parses():
    from minigrad.cli import build_parser

    commands = command_lines()
    assert len(commands) >= 15
    bad = []
    for where, argv in commands:
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr), \
                    contextlib.redirect_stdout(io.StringIO()):
                build_parser().parse_args(argv)
        except SystemExit as exit_:
            if exit_.code != 0:  # --help exits 0
                bad.append(f"{where}: minigrad {' '.join(argv)}: "
                           f"{stderr.getvalue().strip().splitlines()[-1]}")
    assert bad == [], "\n".join(bad)


def test_kernels_page_quotes_the_math_as_written():
    """The element function quoted in kernels.md (the Python block that
    starts with ``def``) is the one in its rule's file, docstring aside."""
    quoted = [b for b in blocks((DOCS / "kernels.md").read_text(encoding="utf-8"),
                                "python") if b.startswith("def ")]
    assert quoted, "kernels.md no longer quotes an element function"
    functions, sources = {}, {}
    for path in sorted((ROOT / "minigrad" / "optim").glob("*.py")):
        source = path.read_text(encoding="utf-8").splitlines()
        for node in ast.parse("\n".join(source)).body:
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_element"):
                functions[node.name], sources[node.name] = node, source
    for block in quoted:
        name = re.search(r"def (\w+)\(", block).group(1)
        node, source = functions[name], sources[name]
        doc = node.body[0]
        lines = [line for number, line in enumerate(source, 1)
                 if node.lineno <= number <= node.end_lineno
                 and not doc.lineno <= number <= doc.end_lineno]
        assert block.splitlines() == lines, f"kernels.md's {name} differs"


def test_testing_page_shows_the_failure_message_gradcheck_prints():
    """testing.md quotes (wrapped) what its BadSquare example prints."""
    text = (DOCS / "testing.md").read_text(encoding="utf-8")
    shown = re.search(r"prints[^\n]*\n\n```\n(.*?)```", text, flags=re.S)
    assert shown, "testing.md no longer shows the failure message"
    snippets = blocks(text, "python")
    bad_square = next(i for i, b in enumerate(snippets) if "BadSquare" in b)
    namespace = {"__name__": "docs_snippet"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in snippets[:bad_square + 1]:
            exec(compile(block, "testing.md", "exec"), namespace)
    assert out.getvalue().split() == shown.group(1).split()
