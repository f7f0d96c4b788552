"""Graders for the update-rule exercises: the learner's ``<rule>_step``
against minigrad's own optimizer class, step by step, over many steps.

The learner writes ``adam_step(p, g, state, lr=..., beta1=..., ...)``: one
step on the NumPy array ``p`` (changed in place) from the gradient ``g``,
keeping buffers and the step count in the dict ``state`` (empty at first).
The same random gradients go to ``minigrad.optim.<Class>(backend="numpy")``;
after every step both parameter arrays must agree to 1e-10 (relative).
"""
import numpy as np

from ._grading import Check, describe_error, fmt, not_written

STEPS = 60

# exercise -> (function name, class name, settings to try in order). The
# first setting is the plain rule; later ones switch on weight decay and
# change the other knobs, so a failure there points at that knob.
RULES = {
    "sgd": ("sgd_step", "SGD", [
        dict(lr=0.1, weight_decay=0.0),
        dict(lr=0.05, weight_decay=0.1)]),
    "momentum": ("momentum_step", "Momentum", [
        dict(lr=0.1, beta=0.9, weight_decay=0.0),
        dict(lr=0.05, beta=0.5, weight_decay=0.1)]),
    "adagrad": ("adagrad_step", "AdaGrad", [
        dict(lr=0.1, eps=1e-10, weight_decay=0.0),
        dict(lr=0.05, eps=1e-3, weight_decay=0.1)]),
    "rmsprop": ("rmsprop_step", "RMSProp", [
        dict(lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0),
        dict(lr=0.02, alpha=0.9, eps=1e-3, weight_decay=0.1)]),
    "adam": ("adam_step", "Adam", [
        dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
        dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.1)]),
    "adamw": ("adamw_step", "AdamW", [
        dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
        dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.1)]),
    "lamb": ("lamb_step", "LAMB", [
        dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0),
        dict(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-3, weight_decay=0.1)]),
}


def _no_decay(hyper):
    return {**hyper, "weight_decay": 0.0}


_DECAY_LEFT_OUT = (_no_decay, "you left out weight decay (the weight_decay "
                   "line of the pseudocode)")

# Common slips, each reproduced by one of minigrad's classes: when the
# learner's path matches one, the message names the slip.
# exercise -> [(class name, hyperparameters -> its kwargs, what it means)]
SLIPS = {
    "sgd": [("SGD", *_DECAY_LEFT_OUT)],
    "momentum": [
        ("SGD", lambda h: dict(lr=h["lr"], momentum=h["beta"],
                               weight_decay=h["weight_decay"]),
         "you wrote v = beta * v + g (PyTorch's SGD momentum); this rule "
         "averages: v = beta * v + (1 - beta) * g"),
        ("Momentum", *_DECAY_LEFT_OUT)],
    "adagrad": [("AdaGrad", *_DECAY_LEFT_OUT)],
    "rmsprop": [("RMSProp", *_DECAY_LEFT_OUT)],
    "adam": [
        ("AdamW", dict, "you shrank p directly (AdamW's decoupled decay); "
         "Adam adds weight_decay * p to the gradient"),
        ("Adam", *_DECAY_LEFT_OUT)],
    "adamw": [
        ("Adam", dict, "you added weight_decay * p to the gradient (Adam's "
         "L2 form); AdamW shrinks p directly: p = p * (1 - lr * "
         "weight_decay)"),
        ("AdamW", lambda h: {**h, "weight_decay": h["weight_decay"] / h["lr"]},
         "you shrank p by weight_decay instead of lr * weight_decay"),
        ("AdamW", *_DECAY_LEFT_OUT)],
    "lamb": [
        ("AdamW", dict, "you left out the trust ratio r = ||p|| / ||u|| (with "
         "r = 1 LAMB is AdamW)"),
        ("LAMB", *_DECAY_LEFT_OUT)],
}


def class_kwargs(hyper):
    """The exercise's keyword arguments as the optimizer class takes them
    (``beta1, beta2`` -> ``betas``)."""
    kwargs = dict(hyper)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    return kwargs


def reference_path(class_name, hyper, p0, grads):
    """The parameters after each step of minigrad's own class."""
    from ..nn import Parameter
    from .. import optim

    param = Parameter(p0.copy())
    opt = getattr(optim, class_name)([param], backend="numpy",
                                     **class_kwargs(hyper))
    path = []
    for g in grads:
        param.grad = g.copy()
        opt.step()
        path.append(param.data.copy())
    return path


def problem(seed=0, shape=(4, 3)):
    """A start point and STEPS gradients of varying size and sign."""
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=shape)
    scales = np.exp(rng.normal(size=STEPS))       # sizes vary step to step
    grads = [rng.normal(size=shape) * s for s in scales]
    return p0, grads


def _settings_text(hyper):
    return ", ".join(f"{k}={v:g}" for k, v in hyper.items())


def _run_setting(step, name, class_name, hyper, index):
    p0, grads = problem(seed=index)
    expected = reference_path(class_name, hyper, p0, grads)
    p, state = p0.copy(), {}
    what = f"{STEPS} steps with {_settings_text(hyper)}"
    for t, (g, want) in enumerate(zip(grads, expected), start=1):
        before = p.copy()
        try:
            returned = step(p, g.copy(), state, **hyper)
        except NotImplementedError as err:
            return Check(what, False, not_written(err, name))
        except TypeError as exc:
            return Check(what, False,
                         f"calling {name}(p, g, state, {_settings_text(hyper)})"
                         f" failed: {describe_error(exc)}. Keep the starter's "
                         f"argument names.")
        except Exception as exc:  # the learner's code: report any error
            return Check(what, False, f"step {t} raised {describe_error(exc)}")
        if np.array_equal(p, before) and not np.array_equal(want, before):
            hint = (" It returned a new array instead: write into p itself "
                    "(p[...] = ..., or p -= ...)." if isinstance(
                        returned, np.ndarray) else "")
            return Check(what, False,
                         f"after step {t}, p has not changed.{hint}")
        if not np.allclose(p, want, rtol=1e-10, atol=1e-13):
            slip = _which_slip(name, p, t, hyper, p0, grads)
            return Check(what, False, _mismatch(t, p, want, hyper, index,
                                                slip))
    return Check(what, True)


def _which_slip(name, got, t, hyper, p0, grads):
    """What a common slip would have given at step t, if it matches."""
    exercise = next(k for k, v in RULES.items() if v[0] == name)
    for class_name, change, meaning in SLIPS.get(exercise, ()):
        kwargs = change(hyper)
        if kwargs == hyper and class_name == RULES[exercise][1]:
            continue    # no decay to leave out in this setting
        path = reference_path(class_name, kwargs, p0, grads[:t])
        if np.allclose(got, path[-1], rtol=1e-8, atol=1e-12):
            return meaning
    return None


def _mismatch(t, got, want, hyper, index, slip=None):
    worst = np.unravel_index(int(np.argmax(np.abs(got - want))), got.shape)
    lines = [f"after step {t} your p differs from minigrad's: at element "
             f"{tuple(int(i) for i in worst)} yours is {got[worst]:.10g}, "
             f"expected {want[worst]:.10g}."]
    if slip:
        lines.append(f"It looks like {slip}.")
    elif t == 1:
        lines.append("Already the first step is off: compare each line of "
                     "your code with the pseudocode in the docstring "
                     "(which quantity is divided, squared, or scaled by lr?).")
    else:
        lines.append(f"Steps 1 to {t - 1} agree, so the formula is nearly "
                     f"right; what changes from step to step is the state: "
                     f"check that buffers are updated (not restarted) and "
                     f"that the step count t starts at 1.")
    if index > 0 and hyper.get("weight_decay") and not slip:
        lines.append("The plain settings passed; these add weight decay "
                     "and change the other knobs: check the weight-decay "
                     "line and that no number is hard-coded.")
    return " ".join(lines)


def grade_rule(exercise):
    """The grader for one update rule (a generator of Checks)."""
    name, class_name, settings = RULES[exercise]

    def grade(module):
        step = getattr(module, name, None)
        if not callable(step):
            yield Check(f"function {name} exists", False,
                        f"the file defines no function {name!r}; keep the "
                        f"name the starter file uses.")
            return
        for index, hyper in enumerate(settings):
            check = _run_setting(step, name, class_name, hyper, index)
            yield check
            if not check.passed:
                return

    grade.__doc__ = (f"{name}: one step of minigrad.optim.{class_name}, "
                     f"checked against the class over {STEPS} steps.")
    return grade


__all__ = ["RULES", "grade_rule", "fmt"]
