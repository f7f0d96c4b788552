"""tests/mutation/mutate.py finds the mutants it promises, applies exactly
one at a time, and leaves docstrings and error messages alone. (The mutation
run itself is slow and is started by hand, never by pytest.)"""
import ast
import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).parent / "mutation" / "mutate.py"
spec = importlib.util.spec_from_file_location("mutate", SCRIPT)
mutate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutate)

SOURCE = '''
import numpy as np


def minimum_backward(a, b, g):
    """y = min(a, b); at a tie each side gets half: a - b < 0."""
    if a.shape != b.shape:
        raise ValueError(f"shapes {a.shape} - {b.shape} differ")
    left = np.less(a, b) + 0.5 * np.equal(a, b)
    g -= 1
    return g * left, -g * (1 - left)
'''


def test_every_kind_of_mutant_is_found_in_code_only():
    changes = [change for _, _, change in _sites(SOURCE)]
    assert "!= -> ==" in changes
    assert "np.less -> np.less_equal" in changes
    assert "+ -> -" in changes and "* -> /" in changes
    assert "a + b -> a (dropped 0.5 * np.equal(a, b))" in changes
    assert "-= -> +=" in changes
    assert "-g -> dropped minus" in changes
    # the docstring's and the error message's "-" and "<" are not code
    assert all(line != 6 for line, _ in _lines(SOURCE))
    assert all(line != 8 for line, _ in _lines(SOURCE))


def test_each_mutant_changes_exactly_one_place():
    original = ast.unparse(ast.parse(SOURCE))
    assert mutate.mutant_source(SOURCE, None) == original
    seen = set()
    for index, _, change in _sites(SOURCE):
        mutant = mutate.mutant_source(SOURCE, index)
        assert mutant != original, change
        compile(mutant, "<mutant>", "exec")
        diff = [(a, b) for a, b in zip(original.splitlines(), mutant.splitlines())
                if a != b]
        assert len(diff) == 1, (change, diff)
        seen.add(mutant)
    assert len(seen) == len(_sites(SOURCE))  # no two mutants are the same


@pytest.mark.parametrize("path", sorted(mutate.TARGETS))
def test_targets_exist_and_have_mutants_and_tests(path):
    root = SCRIPT.parents[2]
    assert (root / path).exists()
    assert mutate.mutations(root / path)
    assert any((root / test).exists() for test in mutate.TARGETS[path])


def _sites(source):
    mutator = mutate.Mutator()
    mutator.visit(ast.parse(source))
    return [(i, line, change) for i, (line, change) in enumerate(mutator.sites)]


def _lines(source):
    return [(line, change) for _, line, change in _sites(source)]
