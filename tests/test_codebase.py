"""The codebase keeps the house rules: layers that only import downwards, no
import cycles, small files with short lines, docstrings on the public surface,
a light ``import minigrad``, and no package-registry host named anywhere.

Each check reads the source (``ast``), not the running objects, so it sees
imports hidden inside functions too, and names the file and line it objects
to."""
import ast
import hashlib
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minigrad"

# Lower layers never import higher ones (inside functions neither). Within a
# layer imports go either way (the engine's modules need each other: Tensor's
# methods call functions.py, whose ops make Tensors). The package root is the
# lazy facade over every layer, so only the tools above it may import it.
LAYERS = [
    ("engine", ["minigrad.config", "minigrad.tensor", "minigrad.autograd",
                "minigrad.ops_math", "minigrad.ops_matmul", "minigrad.ops_shape",
                "minigrad.functions", "minigrad.backward"]),
    ("checks and files", ["minigrad.gradient_check", "minigrad.testing",
                          "minigrad.higher_order",
                          "minigrad.serialization", "minigrad._atomic"]),
    ("models and data", ["minigrad.nn", "minigrad.data"]),
    ("optimizers", ["minigrad.optim"]),
    ("tools", ["minigrad.viz", "minigrad.checkpoint", "minigrad.distributed",
               "minigrad.diagnostics", "minigrad"]),
    ("command line", ["minigrad.cli", "minigrad.__main__"]),
]
MAX_FILE_LINES = 450
MAX_LINE_CHARS = 88
HEAVY = ("numba", "matplotlib", "graphviz", "tqdm")


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name):
    return MODULES[name].name == "__init__.py"


def layer_of(name):
    """Index into LAYERS of the longest listed prefix of ``name``."""
    best, rank = "", None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            root_only = prefix == "minigrad"
            fits = name == prefix or (not root_only and
                                      name.startswith(prefix + "."))
            if fits and len(prefix) > len(best):
                best, rank = prefix, index
    return rank


def dynamic_import(call):
    """``import_module("minigrad.x")`` (or ``(".x", __name__)``) with a
    constant name."""
    func = call.func
    called = getattr(func, "id", None) or getattr(func, "attr", None)
    return (called == "import_module" and call.args
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str))


def imports(name, module_level_only=False):
    """``(lineno, imported module)`` for every minigrad import in module
    ``name``; ``from pkg import sub`` counts as importing ``pkg.sub`` when
    ``sub`` is a module. With ``module_level_only``, imports inside function
    bodies (which run later, not at import) are left out."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if is_package(name) else name.rpartition(".")[0]
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if module_level_only and isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.Call) and dynamic_import(child):
                target = child.args[0].value
                if target.startswith("."):  # relative to this package
                    target = package + target
                found.append((child.lineno, target))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[:len(package.split(".")) -
                                                child.level + 1]
                    base = ".".join(base + [child.module or ""]).rstrip(".")
                else:
                    base = child.module
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    found.append((child.lineno, sub if sub in MODULES else base))
            visit(child)

    visit(tree)
    return [(line, target) for line, target in found
            if target == "minigrad" or target.startswith("minigrad.")]


def test_every_module_has_a_layer():
    assert [n for n in MODULES if layer_of(n) is None] == []


def test_no_module_imports_a_higher_layer():
    wrong = []
    for name in MODULES:
        mine = layer_of(name)
        for line, target in imports(name):
            theirs = layer_of(target)
            if theirs is not None and theirs > mine:
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} "
                             f"({LAYERS[mine][0]}) imports {target} "
                             f"({LAYERS[theirs][0]})")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycles_at_import_time():
    graph = {name: sorted({t for _, t in imports(name, module_level_only=True)
                           if t in MODULES and t != name})
             for name in MODULES}
    done, stack = set(), []

    def visit(name):
        if name in stack:
            return stack[stack.index(name):] + [name]
        if name in done:
            return None
        stack.append(name)
        for target in graph[name]:
            cycle = visit(target)
            if cycle:
                return cycle
        stack.pop()
        done.add(name)
        return None

    for name in graph:
        cycle = visit(name)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_layer_check_sees_imports_inside_functions():
    found = dict((t, line) for line, t in imports("minigrad.tensor"))
    assert "minigrad.functions" in found  # imported inside a method
    module_level = {t for _, t in imports("minigrad.tensor", True)}
    assert "minigrad.functions" not in module_level
    dynamic = {t for _, t in imports("minigrad.viz.registry")}
    assert "minigrad.optim" in dynamic  # import_module("minigrad.optim")
    assert "minigrad.optim.lr_scheduler" in {
        t for _, t in imports("minigrad.optim")}  # import_module(".lr_scheduler")


def test_files_are_small_and_lines_short():
    too_long = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        where = path.relative_to(ROOT)
        if len(lines) > MAX_FILE_LINES:
            too_long.append(f"{where}: {len(lines)} lines (max {MAX_FILE_LINES})")
        too_long += [f"{where}:{i}: {len(line)} characters"
                     for i, line in enumerate(lines, 1)
                     if len(line) > MAX_LINE_CHARS]
    assert too_long == [], "\n".join(too_long)


def public(name):
    return not any(part.startswith("_") and part not in ("__init__", "__main__")
                   for part in name.split("."))


def test_modules_and_public_names_have_docstrings():
    """Every module, and every public module-level function and class of a
    public module (no ``_`` in its dotted name), says what it is. Methods are
    left to review: most are operators and overrides that the class or the
    base class documents."""
    missing = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(ROOT)
        if ast.get_docstring(tree) is None:
            missing.append(f"{where}: module")
        if not public(name):
            continue
        missing += [f"{where}:{node.lineno}: {node.name}" for node in tree.body
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                    and not node.name.startswith("_")
                    and ast.get_docstring(node) is None]
    assert missing == [], "\n".join(missing)


def test_shared_kernel_math_has_no_number_literals():
    """The rules' element functions (``ELEMENT_FUNCTIONS`` at the end of each
    ``optim/<rule>.py``) are compiled into float32 kernels: a literal such as
    ``1.0 - b`` or ``2 * x`` would make that arithmetic float64 (the PTX
    test sees it where the CUDA compilers are installed; this sees it
    everywhere). Numbers come in as arguments in the array's dtype."""
    import importlib
    import inspect
    import textwrap

    rules = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "lamb"]
    functions = [function for rule in rules for function in
                 importlib.import_module(f"minigrad.optim.{rule}").ELEMENT_FUNCTIONS]
    assert len(functions) >= 7
    literals = []
    for function in (ast.parse(textwrap.dedent(inspect.getsource(f))).body[0]
                     for f in functions):
        body = function.body[1:] if ast.get_docstring(function) else function.body
        literals += [f"{function.name}:{node.lineno}: {node.value!r}"
                     for statement in body for node in ast.walk(statement)
                     if isinstance(node, ast.Constant)
                     and isinstance(node.value, (int, float, complex))
                     and not isinstance(node.value, bool)]
    assert literals == [], "\n".join(literals)


@pytest.mark.parametrize("statement", ["import minigrad",
                                       "import minigrad.optim",
                                       "import minigrad.nn, minigrad.data"])
def test_import_does_not_pull_in_heavy_dependencies(statement):
    code = (f"import sys; {statement}; "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [], f"{statement} imported {result.stdout}"


# Package-registry hosts, as the first 16 hex digits of their sha256, so this
# file does not name them either. A host in a file is caught if it, or any of
# its parent domains with two or more labels, is in this set.
REGISTRY_HOST_DIGESTS = {
    "a4aa2ac280bb8d1a", "8b5bb5eb9d758455", "d6d7019ca9fcbf07",
    "51c6b9f69c48a75b", "03eabd6c5c4ff24d", "8743857e3ea00fd1",
    "3ca29e55be4befa4", "87d14f070cb96869", "789e46d79514e280",
    "00a7dc5a0cc38858", "71741fe2460a6150", "03e390c8d8a6f2cf",
    "bd848f96e7140691", "df62e3961d508122", "317d2d52829b7812",
    "43c04ed1dabe979b", "f65219c547f9c032", "2c77714df232b07f",
    "4445b86dcaaff098", "e7fbfb5eb8b891d5", "0074aa21e8beb1cc",
}
HOST = re.compile(r"(?<![\w.-])((?:[a-z0-9-]+\.)+[a-z][a-z0-9-]*[a-z])(?![\w-])",
                  re.I)


def digest(host):
    return hashlib.sha256(host.encode()).hexdigest()[:16]


def registry_hosts(text, digests=REGISTRY_HOST_DIGESTS):
    """The host names in ``text`` that are, or are under, a listed host."""
    found = set()
    for host in HOST.findall(text):
        labels = host.lower().split(".")
        for i in range(len(labels) - 1):
            if digest(".".join(labels[i:])) in digests:
                found.add(host.lower())
    return found


def test_the_registry_check_finds_a_host():
    listed = {digest("packages.example.test")}
    text = "pip install --index-url https://mirror.packages.example.test/simple"
    assert registry_hosts(text, listed) == {"mirror.packages.example.test"}
    assert registry_hosts("see examples.test or example.test.py", listed) == set()


def test_no_file_names_a_package_registry_host():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to list the project's files")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    named = {}
    for relative in filter(None, listed):
        path = ROOT / relative
        if path.is_file():
            hosts = registry_hosts(path.read_bytes().decode("utf-8", "ignore"))
            if hosts:
                named[relative] = sorted(hosts)
    assert named == {}, f"package-registry hosts named in: {named}"
