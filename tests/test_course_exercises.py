"""The course's exercises (course/exercises, course/solutions) and their
checker, ``minigrad exercise check NAME``: every solution passes, every
starter fails with a message that says what to do, and typical wrong answers
get told what is wrong."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.cli import exercise
from minigrad.cli import _grading_bugs

COURSE = Path(__file__).resolve().parents[1] / "course"
NAMES = list(exercise.EXERCISES)


def verdict(name, path):
    """The report with its line wrapping undone, and whether it passed."""
    text, passed = exercise.report(name, str(path),
                                   *exercise.grade(name, str(path)))
    return " ".join(text.split()), passed


def variant(tmp_path, name, old, new, source="solutions"):
    """The solution (or starter) of ``name`` with ``old`` replaced by ``new``."""
    text = (COURSE / source / f"{name}.py").read_text()
    assert old in text, f"{old!r} is not in {name}.py any more"
    path = tmp_path / f"{name}.py"
    path.write_text(text.replace(old, new))
    return path


def test_every_exercise_has_a_starter_and_a_solution():
    for folder in ("exercises", "solutions"):
        files = sorted(p.stem for p in (COURSE / folder).glob("*.py"))
        assert files == sorted(NAMES), folder


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_passes(name):
    text, passed = verdict(name, COURSE / "solutions" / f"{name}.py")
    assert passed, text
    assert "FAIL" not in text and text.endswith("Well done!")


@pytest.mark.parametrize("name", NAMES)
def test_the_starter_fails_and_says_what_to_do(name):
    text, passed = verdict(name, COURSE / "exercises" / f"{name}.py")
    assert not passed
    assert "FAIL" in text and "Not passed yet" in text
    expected = ("WRONG_INPUT is still None" if name == "planted_bug"
                else "not written yet")
    assert expected in text, text
    assert "Traceback" not in text


def test_the_command_finds_the_file_and_sets_the_exit_status(tmp_path):
    def run(*args, cwd=COURSE.parent):
        return subprocess.run([sys.executable, "-m", "minigrad", "exercise",
                               *args], cwd=cwd, capture_output=True,
                              text=True, timeout=120)

    r = run("check", "sgd")
    assert r.returncode == 1 and "course/exercises/sgd.py" in r.stdout
    r = run("check", "sgd", "--file", str(COURSE / "solutions" / "sgd.py"))
    assert r.returncode == 0 and "Well done" in r.stdout
    r = run("check", "sgd", cwd=tmp_path)
    assert r.returncode == 2 and "cannot find your file" in r.stderr
    r = run("check", "nonsense")
    assert r.returncode == 2 and "invalid choice" in r.stderr
    r = run("list")
    assert r.returncode == 0
    assert all(re.search(rf"^  {n} ", r.stdout, re.M) for n in NAMES)


# ------------------------------------------------ wrong answers, told why
def test_a_file_that_does_not_run(tmp_path):
    path = variant(tmp_path, "sgd", "p -= lr * g", "p -= lr * g)")
    text, passed = verdict("sgd", path)
    assert not passed and "Python cannot read" in text and "line" in text


def test_a_renamed_function(tmp_path):
    path = variant(tmp_path, "adam", "def adam_step(", "def my_adam(")
    text, _ = verdict("adam", path)
    assert "defines no function 'adam_step'" in text


def test_a_wrong_first_step(tmp_path):
    path = variant(tmp_path, "adam", "m_hat = m / (1 - beta1 ** t)",
                   "m_hat = m")               # bias correction forgotten
    text, passed = verdict("adam", path)
    assert not passed
    assert "after step 1 your p differs" in text
    assert "Already the first step is off" in text


def test_forgotten_state_is_found_after_step_one(tmp_path):
    path = variant(tmp_path, "momentum",
                   'v = state.setdefault("v", np.zeros_like(p))',
                   "v = np.zeros_like(p)")    # a new buffer every step
    text, _ = verdict("momentum", path)
    assert "after step 2" in text and "Steps 1 to 1 agree" in text


def test_forgotten_weight_decay(tmp_path):
    path = variant(tmp_path, "adagrad", "g = g + weight_decay * p", "pass")
    text, passed = verdict("adagrad", path)
    assert not passed
    assert "ok 60 steps with lr=0.1, eps=1e-10, weight_decay=0 FAIL" in text
    assert "left out weight decay" in text
    path = variant(tmp_path, "adagrad", "g = g + weight_decay * p",
                   "g = g + 2 * weight_decay * p")   # no slip we know of
    text, _ = verdict("adagrad", path)
    assert "check the weight-decay line" in text and "It looks like" not in text


@pytest.mark.parametrize("name, old, new, slip", [
    ("momentum", "v[...] = beta * v + (1 - beta) * g", "v[...] = beta * v + g",
     "PyTorch's SGD momentum"),
    ("adamw", "    p *= 1 - lr * weight_decay",
     "    g = g + weight_decay * p", "Adam's L2 form"),
    ("adamw", "p *= 1 - lr * weight_decay", "p *= 1 - weight_decay",
     "by weight_decay instead of lr * weight_decay"),
    ("adam", "    g = g + weight_decay * p", "    p *= 1 - lr * weight_decay",
     "AdamW's decoupled decay"),
    ("lamb", "p -= lr * r * u", "p -= lr * u", "left out the trust ratio"),
    ("sgd", "    g = g + weight_decay * p", "    pass",
     "left out weight decay"),
])
def test_a_common_slip_is_named(tmp_path, name, old, new, slip):
    text, passed = verdict(name, variant(tmp_path, name, old, new))
    assert not passed and f"It looks like you" in text and slip in text, text


def test_a_new_array_instead_of_an_update_in_place(tmp_path):
    path = variant(tmp_path, "sgd", "p -= lr * g", "return p - lr * g")
    text, _ = verdict("sgd", path)
    assert "p has not changed" in text and "write into p itself" in text


def test_an_overflowing_softplus_gradient(tmp_path):
    path = variant(tmp_path, "softplus", "return gy * sigmoid",
                   "return gy * np.exp(x) / (1 + np.exp(x))")
    with np.errstate(all="ignore"):
        text, passed = verdict("softplus", path)
    assert not passed and "not finite" in text
    assert text.count(" ok ") >= 3     # gradcheck itself passes


def test_a_logsumexp_gradient_of_the_wrong_shape(tmp_path):
    folder = tmp_path / "minigrad"      # a clone is often named so
    folder.mkdir()
    path = variant(folder, "logsumexp", "np.expand_dims(gy, self.axis)",
                   "gy")
    text, _ = verdict("logsumexp", path)
    assert "np.expand_dims(gy, axis)" in text
    assert "(in logsumexp.py, line" in text    # the learner's line


def test_a_wrong_backward_shows_gradchecks_report(tmp_path):
    path = variant(tmp_path, "softplus", "return gy * sigmoid",
                   "return gy * sigmoid * 2")
    text, _ = verdict("softplus", path)
    assert "gradcheck says" in text and "analytic" in text


def test_planted_bug_answers(tmp_path):
    path = variant(tmp_path, "planted_bug", 'WRONG_INPUT = "w"',
                   'WRONG_INPUT = "b"')
    text, _ = verdict("planted_bug", path)
    assert "does not name 'b'" in text
    # the right name but the bug left in: gradcheck's report comes back
    path = variant(tmp_path, "planted_bug", "WRONG_INPUT = None",
                   'WRONG_INPUT = "w"', source="exercises")
    text, passed = verdict("planted_bug", path)
    assert not passed and "input 2" in text and "ok WRONG_INPUT" in text


def test_the_planted_bug_is_in_ws_gradient_only():
    sys.path.insert(0, str(COURSE / "exercises"))
    try:
        from planted_bug import lerp
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(0)
    a, b, w = (mg.Tensor(rng.normal(size=s), requires_grad=True)
               for s in ((2, 3), (2, 3), (3,)))
    with pytest.raises(mg.GradcheckError) as err:
        mg.gradcheck(lerp, [a, b, w])
    assert [f["name"] for f in err.value.failures] == ["input 2"]


def test_a_test_that_misses_bugs_is_told_which(tmp_path):
    old = "    assert mg.gradcheck_module(module, x)\n"
    path = variant(tmp_path, "gradcheck_test", old, "")
    text, passed = verdict("gradcheck_test", path)
    assert not passed
    assert "FAIL catches a planted bug: the gradient of beta" in text
    assert "gradcheck_module" in text
    path = variant(tmp_path, "gradcheck_test", "dtype=np.float64",
                   "dtype=np.float32")
    text, _ = verdict("gradcheck_test", path)
    assert "fails on the correct Swish" in text and "float64" in text


def test_the_checkers_swish_is_the_starters_and_its_copies_are_broken():
    sys.path.insert(0, str(COURSE / "exercises"))
    try:
        import gradcheck_test as starter
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(3)
    x = mg.Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    beta = rng.normal(size=3)
    grads = []
    for module_class in (starter.Swish,
                         _grading_bugs.swish_module(_grading_bugs.SwishFn)):
        m = module_class(3)
        m.beta.data[...] = beta
        x.grad = None
        out = m(x)
        out.backward(np.cos(np.arange(12.0)).reshape(4, 3))
        grads.append((out.data, x.grad, m.beta.grad))
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
    for fn_class, bug, _ in _grading_bugs.BROKEN:
        m = _grading_bugs.swish_module(fn_class)(3)
        m.beta.data[...] = beta
        ok = (mg.gradcheck_module(m, x, raise_exception=False)
              and mg.gradcheck(m, [x], raise_exception=False))
        assert not ok, bug


def test_the_course_readme_names_every_exercise_notebook_and_figure():
    text = (COURSE / "README.md").read_text()
    for name in NAMES:
        assert f"`{name}`" in text, name
    for notebook in COURSE.glob("*.ipynb"):
        assert f"({notebook.name})" in text, notebook.name
        assert f"(figures/{notebook.stem}.png)" in text, notebook.stem
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        assert (COURSE / link).exists(), link
