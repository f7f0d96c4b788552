"""Mutation testing: seed one small fault at a time into the math and see
whether the tests notice.

Each mutant changes one place in an op (``minigrad/ops_math.py``,
``ops_matmul.py``, ``ops_shape.py``), a loss or activation
(``minigrad/nn/losses.py``, ``functional.py``) or an update rule
(``minigrad/optim/<rule>.py``):

* an operator swapped: ``+``/``-``, ``*``/``/``, ``**`` -> ``*`` (also in
  ``+=`` and friends);
* a term dropped: ``a + b``, ``a - b``, ``a * b`` -> ``a``; ``-a`` -> ``a``;
* a comparison flipped: ``<``/``<=``, ``>``/``>=``, ``==``/``!=``,
  ``is``/``is not``; ``np.less``/``np.less_equal``,
  ``np.greater``/``np.greater_equal``, ``np.maximum``/``np.minimum``.

For each mutant the tests of that part run (``-x``, the default run's
selection, a time limit per mutant) in a private copy of the repository, so
the checkout is never modified (the copy lives in a temporary directory and
is removed at the end). A mutant the tests fail on is *killed*; one that
passes *survives*: a behaviour no test pins down (or an equivalent mutant --
read it before writing a test). The report gives the kill rate and names
every survivor by file, line and change.

Not part of the test run (its name does not start with ``test_``); run it by
hand, e.g. after adding an op or a rule:

    python tests/mutation/mutate.py                  # a sample of 60 mutants
    python tests/mutation/mutate.py --sample 0       # every mutant (hours)
    python tests/mutation/mutate.py --files minigrad/ops_math.py --list
"""
import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ENGINE_TESTS = ["tests/test_functions.py", "tests/test_autograd.py",
                "tests/test_tensor.py", "tests/test_engine_gaps.py",
                "tests/test_differential_ops.py"]
LOSS_TESTS = ["tests/test_nn_functional.py", "tests/test_nn.py",
              "tests/test_nn_parity.py"]
# test_optim_backends: the per-element math (``*_element``) runs only in the
# Numba kernels, so only the cpu-vs-NumPy comparison sees a fault there
OPTIM_TESTS = ["tests/test_optim_rules.py", "tests/test_optim_golden.py",
               "tests/test_optim_state.py", "tests/test_optim_backends.py"]
RULES = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "lamb"]
TARGETS = {"minigrad/ops_math.py": ENGINE_TESTS,
           "minigrad/ops_matmul.py": ENGINE_TESTS + ["tests/test_nn_functional.py",
                                                    "tests/test_leaf_grad_buffers.py"],
           "minigrad/ops_shape.py": ENGINE_TESTS,
           "minigrad/nn/functional.py": LOSS_TESTS,
           "minigrad/nn/losses.py": LOSS_TESTS,
           **{f"minigrad/optim/{rule}.py": OPTIM_TESTS for rule in RULES}}

SWAP_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div,
            ast.Div: ast.Mult, ast.Pow: ast.Mult}
FLIP_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE,
                ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
                ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SWAP_CALLS = {"less": "less_equal", "less_equal": "less",
              "greater": "greater_equal", "greater_equal": "greater",
              "maximum": "minimum", "minimum": "maximum"}
SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
          ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
          ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not"}


class Mutator(ast.NodeTransformer):
    """Walks a module; lists every mutation (``target=None``) or applies the
    ``target``-th one. Docstrings and error messages are left alone: only
    code inside functions is mutated, never inside a ``raise``."""

    def __init__(self, target=None):
        self.target, self.sites = target, []

    def site(self, node, change):
        """Record a mutation; True when it is the one to apply."""
        self.sites.append((node.lineno, change))
        return len(self.sites) - 1 == self.target

    def visit_FunctionDef(self, node):
        node.body = [self.visit(stmt) for stmt in node.body]
        return node

    def visit_ClassDef(self, node):
        node.body = [self.visit(stmt) if isinstance(
            stmt, ast.FunctionDef) else stmt for stmt in node.body]
        return node

    def visit_Module(self, node):
        node.body = [self.visit(stmt) if isinstance(
            stmt, (ast.FunctionDef, ast.ClassDef)) else stmt for stmt in node.body]
        return node

    def visit_Raise(self, node):
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = type(node.op)
        if op in SWAP_OPS and self.site(
                node, f"{SYMBOL[op]} -> {SYMBOL[SWAP_OPS[op]]}"):
            node.op = SWAP_OPS[op]()
        if op in (ast.Add, ast.Sub, ast.Mult) and self.site(
                node, f"a {SYMBOL[op]} b -> a (dropped {ast.unparse(node.right)})"):
            return node.left
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        op = type(node.op)
        if op in SWAP_OPS and op is not ast.Pow and self.site(
                node, f"{SYMBOL[op]}= -> {SYMBOL[SWAP_OPS[op]]}="):
            node.op = SWAP_OPS[op]()
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and self.site(
                node, f"-{ast.unparse(node.operand)} -> dropped minus"):
            return node.operand
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        for i, op in enumerate(node.ops):
            flipped = FLIP_COMPARE.get(type(op))
            if flipped and self.site(
                    node, f"{SYMBOL[type(op)]} -> {SYMBOL[flipped]}"):
                node.ops[i] = flipped()
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if (isinstance(node.value, ast.Name) and node.value.id == "np"
                and node.attr in SWAP_CALLS and self.site(
                    node, f"np.{node.attr} -> np.{SWAP_CALLS[node.attr]}")):
            node.attr = SWAP_CALLS[node.attr]
        return node


def mutations(path):
    """[(index, line, change)] for the file at ``path``."""
    mutator = Mutator()
    with open(path, encoding="utf-8") as fh:
        mutator.visit(ast.parse(fh.read()))
    return [(i, line, change) for i, (line, change) in enumerate(mutator.sites)]


def mutant_source(source, index):
    mutator = Mutator(index)
    tree = ast.fix_missing_locations(mutator.visit(ast.parse(source)))
    return ast.unparse(tree)


def make_copy():
    """A private copy of what the tests need (package, tests, settings)."""
    copy = tempfile.mkdtemp(prefix="minigrad-mutants-")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for name in ("minigrad", "tests"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(copy, name),
                        ignore=ignore)
    for name in ("setup.cfg", "pyproject.toml"):
        if os.path.exists(os.path.join(ROOT, name)):
            shutil.copy2(os.path.join(ROOT, name), copy)
    return copy


def run_tests(copy, tests, timeout, show_failure=False):
    """'passed', 'failed' or 'timeout' for ``tests`` in ``copy``."""
    tests = [t for t in tests if os.path.exists(os.path.join(copy, t))]
    # a fresh Numba cache per run: the kernels are cached under kernels/*.py,
    # which a mutant of a rule's *_element math does not change, so a shared
    # cache would hand every mutant the unmutated kernel
    cache = tempfile.mkdtemp(prefix="numba-cache-", dir=copy)
    env = {**os.environ, "PYTHONPATH": copy, "NUMBA_CACHE_DIR": cache}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-m", "not slow", "-k", "not cuda", *tests]
    try:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if done.returncode == 0:
        return "passed"
    if done.returncode == 1:
        if show_failure:
            print(done.stdout[-3000:], file=sys.stderr)
        return "failed"
    raise RuntimeError(f"pytest could not run {tests} (exit {done.returncode}):"
                       f"\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=list(TARGETS),
                        help="files to mutate (default: ops, losses, rules)")
    parser.add_argument("--sample", type=int, default=60,
                        help="mutants to try, drawn at random (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seeds the sample")
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds per mutant before it counts as killed "
                             "(at least twice what the unmutated code takes)")
    parser.add_argument("--list", action="store_true",
                        help="only list the mutants")
    parser.add_argument("--json", metavar="PATH", help="also save the results")
    args = parser.parse_args(argv)

    unknown = [f for f in args.files if f not in TARGETS]
    if unknown:
        parser.error(f"no tests are mapped for {unknown}; known: {list(TARGETS)}")
    everything = [(f, *m) for f in args.files
                  for m in mutations(os.path.join(ROOT, f))]
    chosen = everything
    if args.sample and args.sample < len(everything):
        chosen = sorted(random.Random(args.seed).sample(everything, args.sample))
    if args.list:
        for path, _, line, change in chosen:
            print(f"{path}:{line}: {change}")
        print(f"{len(chosen)} of {len(everything)} mutants")
        return 0

    copy = make_copy()
    results, started = [], time.perf_counter()
    try:
        originals = {f: open(os.path.join(ROOT, f), encoding="utf-8").read()
                     for f in args.files}
        limits = {}  # tests -> seconds a mutant may take
        for tests in sorted({tuple(TARGETS[f]) for f, *_ in chosen}):
            # the unmutated code, rewritten by ast.unparse as mutants are,
            # must pass: else every mutant would look killed
            for f in args.files:
                if tuple(TARGETS[f]) == tests:
                    with open(os.path.join(copy, f), "w", encoding="utf-8") as fh:
                        fh.write(mutant_source(originals[f], None))
            t = time.perf_counter()
            verdict = run_tests(copy, list(tests), None, show_failure=True)
            limits[tests] = max(args.timeout, 2 * (time.perf_counter() - t))
            if verdict != "passed":
                raise SystemExit(f"the unmutated code does not pass {tests} "
                                 f"({verdict}); fix that first")
        for n, (path, index, line, change) in enumerate(chosen, 1):
            target = os.path.join(copy, path)
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(mutant_source(originals[path], index))
            t = time.perf_counter()
            try:
                verdict = run_tests(copy, TARGETS[path],
                                    limits[tuple(TARGETS[path])])
            finally:
                with open(target, "w", encoding="utf-8") as fh:
                    fh.write(originals[path])
            outcome = "survived" if verdict == "passed" else "killed"
            results.append({"file": path, "line": line, "change": change,
                            "outcome": outcome, "verdict": verdict,
                            "seconds": round(time.perf_counter() - t, 1)})
            print(f"[{n}/{len(chosen)}] {outcome:8s} {path}:{line}: {change} "
                  f"({verdict}, {results[-1]['seconds']} s)", flush=True)
    finally:
        shutil.rmtree(copy, ignore_errors=True)

    killed = sum(r["outcome"] == "killed" for r in results)
    timeouts = sum(r["verdict"] == "timeout" for r in results)
    print(f"\n{killed} of {len(results)} mutants killed "
          f"({100 * killed / max(len(results), 1):.0f}%; {timeouts} by the time "
          f"limit), {len(everything)} mutants in all, "
          f"{time.perf_counter() - started:.0f} s")
    survivors = [r for r in results if r["outcome"] == "survived"]
    if survivors:
        print("survivors (no test pins these down):")
        for r in survivors:
            print(f"  {r['file']}:{r['line']}: {r['change']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"total_mutants": len(everything), "results": results}, fh,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
