"""``minigrad exercise``: check a learner's answer to one of the course's
exercises and say, in words, what is right and what is wrong."""
import os
import sys
import textwrap

from . import _grading, _grading_bugs, _grading_optim

# name -> (grader, what the exercise asks), in the order of the course
EXERCISES = {
    "softplus": (_grading.grade_softplus,
                 "write the backward of softplus(x) = log(1 + e^x)"),
    "logsumexp": (_grading.grade_logsumexp,
                  "write the backward of logsumexp(x, axis)"),
    **{rule: (_grading_optim.grade_rule(rule),
              f"one {cls} step from its pseudocode")
       for rule, (_, cls, _) in _grading_optim.RULES.items()},
    "planted_bug": (_grading_bugs.grade_planted_bug,
                    "find the wrong gradient with gradcheck's report, fix it"),
    "gradcheck_test": (_grading_bugs.grade_gradcheck_test,
                       "write a gradient-check unit test for a module"),
}

# where the learner's file is looked for, relative to the current directory
SEARCH = ("course/exercises/{}.py", "exercises/{}.py", "{}.py")

DESCRIPTION = """\
Check your answer to an exercise of the minigrad course (course/ in the
repository). Each exercise is a starter file, course/exercises/NAME.py, with
a docstring saying what to write; this command runs your file and says which
checks pass and, for the first that fails, what was wrong and where to look.
Solutions are in course/solutions/ (look only after trying!).

The file is found as course/exercises/NAME.py, exercises/NAME.py or NAME.py
under the current directory; --file names another.
"""

EPILOG = """\
examples:
  minigrad exercise list
  minigrad exercise check softplus
  minigrad exercise check adam --file my_adam.py
"""


def add_parser(subparsers):
    """Add the ``exercise`` subcommand to ``subparsers``."""
    from . import _args

    p = subparsers.add_parser(
        "exercise", help="check your answer to a course exercise",
        description=DESCRIPTION, epilog=EPILOG,
        formatter_class=_args.Formatter)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    actions.add_parser("list", help="list the exercises")
    check = actions.add_parser("check", help="check your answer to NAME")
    check.add_argument("name", metavar="NAME", choices=list(EXERCISES),
                       help="the exercise: " + ", ".join(EXERCISES))
    check.add_argument("--file", default=None, metavar="PATH",
                       help="your file (default: found as described above)")
    p.set_defaults(run=run, parser=p)
    return p


def find_file(name, cwd="."):
    """The learner's file for exercise ``name``, or None."""
    for pattern in SEARCH:
        path = os.path.join(cwd, pattern.format(name))
        if os.path.isfile(path):
            return path
    return None


def grade(name, path):
    """(checks, error): the Checks run on the file at ``path``, or the
    message saying why it could not be loaded."""
    grader, _ = EXERCISES[name]
    try:
        module = _grading.load_file(path)
    except _grading.ExerciseFileError as exc:
        return [], str(exc)
    return list(grader(module)), None


def report(name, path, checks, error):
    """The text a learner reads, and whether the exercise passed."""
    lines = [f"exercise {name}: {path}"]
    if error:
        lines += [f"  FAIL  {error}", "", "Not passed yet."]
        return "\n".join(lines), False
    for check in checks:
        lines.append(f"  {'ok  ' if check.passed else 'FAIL'}  {check.what}")
        if not check.passed and check.message:
            for line in check.message.splitlines():
                lines += textwrap.wrap(line, 78, initial_indent=" " * 8,
                                       subsequent_indent=" " * 10)
    passed = bool(checks) and all(c.passed for c in checks)
    n_ok = sum(c.passed for c in checks)
    lines.append("")
    lines.append("Passed: every check is right. Well done!" if passed else
                 f"Not passed yet ({n_ok} of {len(checks)} checks passed "
                 f"so far): fix the first FAIL above and run this again.")
    return "\n".join(lines), passed


def run(args):
    """Run ``minigrad exercise``; returns the exit status."""
    if args.action == "list":
        width = max(map(len, EXERCISES))
        for name, (_, what) in EXERCISES.items():
            print(f"  {name:<{width}}  {what}")
        print("\ncheck one with:  minigrad exercise check NAME")
        return 0
    path = args.file or find_file(args.name)
    if path is None:
        looked = ", ".join(p.format(args.name) for p in SEARCH)
        print(f"minigrad exercise: cannot find your file for {args.name!r} "
              f"(looked for {looked} under {os.getcwd()}); run this from "
              f"the repository root or pass --file PATH", file=sys.stderr)
        return 2
    text, passed = report(args.name, path, *grade(args.name, path))
    print(text)
    return 0 if passed else 1
