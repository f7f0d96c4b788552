"""Argument types and messages shared by the subcommands.

Argument types raise ``argparse.ArgumentTypeError``, so a bad value gets
argparse's usual "error: argument --x: ..." line and exit status 2, with the
valid choices named in the message.
"""
import argparse
import contextlib
import os
import sys

from ..viz.registry import OPTIMIZERS

BACKENDS = ("cpu", "numpy", "cuda")
BACKEND_HELP = (
    "how the update rule runs: 'cpu' = Numba @njit kernel, "
    "'numpy' = the readable NumPy reference, 'cuda' = Numba @cuda.jit kernel "
    "(needs an NVIDIA GPU). All three give the same numbers up to rounding.")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {value}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a positive finite number, got {text!r}")
    return value


def optimizer_name(text):
    key = text.strip().lower()
    if key not in OPTIMIZERS:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer {text!r} (choose from {', '.join(OPTIMIZERS)})")
    return key


def optimizer_list(text):
    """"sgd,adam" -> ["sgd", "adam"]; "all" -> all seven."""
    if text.strip().lower() == "all":
        return list(OPTIMIZERS)
    names = [optimizer_name(part) for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list from {', '.join(OPTIMIZERS)}")
    return list(dict.fromkeys(names))  # drop repeats, keep order


def lr_setting(text):
    """"adam=0.01" -> {"adam": 0.01}; "adam=0.01,sgd=0.1" -> two entries;
    a bare "0.05" -> {"*": 0.05} (every optimizer)."""
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep:
            name, value = "*", name
        else:
            name = optimizer_name(name)
        try:
            lr = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"bad learning rate {value!r} in {text!r}; write NAME=VALUE, "
                f"e.g. adam=0.01") from None
        if not lr > 0 or lr == float("inf"):
            raise argparse.ArgumentTypeError(
                f"learning rate must be positive and finite, got {value!r}")
        out[name] = lr
    if not out:
        raise argparse.ArgumentTypeError("empty --lr; write e.g. adam=0.01")
    return out


def merge_lrs(settings, names):
    """Flatten repeated --lr options into {name: lr} for ``names``."""
    merged = {}
    for setting in settings or ():
        for key, lr in setting.items():
            for name in (names if key == "*" else [key]):
                merged[name] = lr
    return merged


def model_sizes(text):
    """"2,16,1" -> [2, 16, 1]."""
    try:
        sizes = [int(p) for p in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected layer sizes like 2,16,16,1, got {text!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least two positive layer sizes like 2,16,1, got "
            f"{text!r}")
    return sizes


def hidden_sizes(text):
    """"32,32" -> (32, 32); "" or "none" -> () (a linear model)."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        sizes = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected hidden sizes like 32,32, got {text!r}") from None
    if min(sizes, default=1) < 1:
        raise argparse.ArgumentTypeError(
            f"hidden sizes must be positive, got {text!r}")
    return sizes


PICTURE_SUFFIXES = (".png", ".svg", ".pdf")


def picture_file(text):
    """A file name for a picture: the suffix picks the format."""
    if os.path.splitext(text)[1].lower() not in PICTURE_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"cannot tell the picture format of {text!r}: end the name with "
            f"{', '.join(PICTURE_SUFFIXES)}")
    return text


def check_output_file(path, option, example, make_folders=False):
    """Before any work, check that ``path`` can be written as a file, so a
    long run does not end in a failed save. ``make_folders``: missing folders
    are created at save time (pictures), so only the nearest existing one
    must be a writable directory. Raises ``ValueError`` naming ``option``
    (``example``: a file name to suggest when ``path`` is a directory)."""
    if os.path.isdir(path):
        raise ValueError(f"{option} {path!r} is a directory; give a file name, "
                         f"e.g. {os.path.join(path, example)!r}")
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder
    while make_folders and not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        what = "is not a directory" if os.path.exists(existing) else "does not exist"
        raise ValueError(f"{option} {path!r}: the folder "
                         f"{os.path.relpath(existing)!r} {what}")
    if not os.access(existing, os.W_OK):
        raise ValueError(f"{option} {path!r}: no permission to write in "
                         f"{os.path.relpath(existing)!r}")


def warn(message):
    """A non-fatal problem: the run goes on without this part."""
    print(f"minigrad: warning: {message}", file=sys.stderr)


def add_hidden_option(p):
    """``--hidden SIZES``: the MLP's hidden layer widths."""
    p.add_argument("--hidden", type=hidden_sizes, default="32,32",
                   metavar="SIZES", help="hidden layer widths, e.g. 64,64")


def add_backend_option(p, default="cpu", note=""):
    """``--backend {cpu,numpy,cuda}``; ``note`` is added to the help."""
    p.add_argument("--backend", choices=BACKENDS, default=default,
                   help=BACKEND_HELP + note)


def nonnegative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"expected a finite number >= 0, got {text!r}")
    return value


def nonnegative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected an integer >= 0, got {value}")
    return value


def add_noise_options(p):
    """``--noise SIGMA`` and ``--seed``: Gaussian noise on the gradients."""
    p.add_argument("--noise", type=nonnegative_float, default=0.0,
                   metavar="SIGMA",
                   help="add N(0, SIGMA^2) noise to every gradient coordinate "
                        "(what a mini-batch does to the full gradient)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the gradient noise")


def add_schedule_options(p):
    """``--schedule {constant,step,cosine}`` and ``--warmup STEPS``."""
    from ..viz.experiments import SCHEDULES

    p.add_argument("--schedule", choices=SCHEDULES, default="constant",
                   help="learning-rate schedule over the run's steps: "
                        "constant; step (StepLR, x0.1 after each third); "
                        "cosine (CosineAnnealingLR down to 0 at the end)")
    p.add_argument("--warmup", type=nonnegative_int, default=0,
                   metavar="STEPS",
                   help="linear warmup over the first STEPS steps "
                        "(LinearWarmup), then the schedule")


def add_progress_option(p):
    """``--progress/--no-progress``, read by ``progress_bar``."""
    p.add_argument("--progress", action=argparse.BooleanOptionalAction,
                   default=None,
                   help="progress bar on stderr (default: only on a terminal)")


@contextlib.contextmanager
def progress_bar(total, enabled, desc=""):
    """A tqdm bar on stderr, closed on leaving the ``with`` block (``None``
    without tqdm); ``enabled=None`` shows it only on a terminal."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        yield None
        return
    disable = None if enabled is None else not enabled
    bar = tqdm(total=total, disable=disable, desc=desc, unit="epoch",
               leave=False, file=sys.stderr)
    try:
        yield bar
    finally:
        bar.close()


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep our paragraphs as written; show defaults that say something."""

    def _get_help_string(self, action):
        text = action.help or ""
        silent = action.default is None or action.default is False or \
            action.default == argparse.SUPPRESS
        if not silent and "default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text
