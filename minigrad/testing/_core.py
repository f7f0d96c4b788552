"""The numerical core shared by every gradient check, on plain arrays.

A check is a ``Problem``: the float64 arrays being checked (nudged in place,
always restored exactly), ``objective()`` = L = sum(f(x) * v) for a fixed
random cotangent v, read from the arrays' current values, and the analytic
gradients dL/dx_i that the code under test produced. Three ways to compare:

* every element (``full``): central difference (L(x + eps e_j) -
  L(x - eps e_j)) / (2 eps) for each element j; 2 evaluations per element;
* ``samples=k``: the same at k random elements of each input;
* ``fast``: along random unit directions u, the directional derivative
  analytic u . dL/dx (that is v.J.u) against (L(x + eps u) - L(x - eps u))
  / (2 eps); 2 evaluations per direction, whatever the input's size.

A value passes when |analytic - numerical| <= atol + rtol * |numerical|.

Kinks: where f has a corner within eps of x (ReLU at 0, abs, max ties, clip)
the central difference straddles it and disagrees with a correct one-sided
derivative. With L0 = L(x) the one-sided slopes are (L(x + eps) - L0) / eps
and (L0 - L(x - eps)) / eps. An out-of-tolerance value is put down to a kink,
not a bug, when those two slopes disagree beyond the tolerance *and* the
analytic value lies between them (widened by the tolerance): at a kink
within eps the central difference is their average, and every derivative
convention (left, right, or a split) lies between them. A smooth function's
slopes differ by only eps * f'', so a wrong backward there is not excused.
"""
import numpy as np

MODES = ("full", "sampled", "fast")
KINK_POLICIES = ("skip", "fail")
MAX_LISTED = 100  # failing elements/directions listed in a result's "bad"


def check_tolerances(eps, atol=0.0, rtol=0.0, who="gradcheck"):
    """eps must be finite and > 0 (it divides), atol and rtol finite and >= 0."""
    for name, value, positive in (("eps", eps, True), ("atol", atol, False),
                                  ("rtol", rtol, False)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{who}: {name} must be a real number, got {value!r}")
        if not np.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"{who}: {name} must be finite and {bound}, "
                             f"got {value}")


def check_mode_options(fast, samples, directions, kinks, who="gradcheck"):
    """Validate the mode arguments; return the mode's name."""
    if kinks not in KINK_POLICIES:
        raise ValueError(f"{who}: kinks must be 'skip' or 'fail', got {kinks!r}")
    if samples is not None:
        if fast:
            raise ValueError(f"{who}: choose fast=True or samples=k, not both")
        if isinstance(samples, (bool, np.bool_)) or not isinstance(
                samples, (int, np.integer)) or samples < 1:
            raise ValueError(f"{who}: samples must be a whole number >= 1, "
                             f"got {samples!r}")
        return "sampled"
    if directions is not None:
        if not fast:
            raise ValueError(f"{who}: directions= only applies with fast=True")
        if isinstance(directions, (bool, np.bool_)) or not isinstance(
                directions, (int, np.integer)) or directions < 1:
            raise ValueError(f"{who}: directions must be a whole number >= 1, "
                             f"got {directions!r}")
    return "fast" if fast else "full"


class Problem:
    """One gradient check reduced to arrays (see the module docstring)."""

    def __init__(self, names, arrays, analytic, objective):
        self.names = list(names)
        self.arrays = list(arrays)
        self.analytic = [np.asarray(a, dtype=np.float64) for a in analytic]
        self.objective = objective


def _evaluate(objective):
    return float(objective())


def element_differences(objective, x, flat_indices, eps):
    """L(x + eps e_j) and L(x - eps e_j) for each flat index j, x restored
    exactly after each element (also when the objective raises)."""
    plus = np.empty(len(flat_indices))
    minus = np.empty(len(flat_indices))
    for k, flat in enumerate(flat_indices):
        j = np.unravel_index(int(flat), x.shape)
        original = x[j]
        try:
            x[j] = original + eps
            plus[k] = _evaluate(objective)
            x[j] = original - eps
            minus[k] = _evaluate(objective)
        finally:
            x[j] = original  # exact restore, not "+ eps - eps"
    return plus, minus


def direction_differences(objective, x, directions, eps):
    """L(x + eps u) and L(x - eps u) for each direction u (rows)."""
    original = x.copy()
    plus = np.empty(len(directions))
    minus = np.empty(len(directions))
    try:
        for k, u in enumerate(directions):
            np.add(original, eps * u, out=x)
            plus[k] = _evaluate(objective)
            np.subtract(original, eps * u, out=x)
            minus[k] = _evaluate(objective)
    finally:
        x[...] = original
    return plus, minus


def judge(analytic, plus, minus, base, eps, atol, rtol, kinks, remeasure,
          directional=False):
    """Compare analytic values with the differences. Returns (central,
    (failing mask, kink mask, excess = error - tolerance, ratio = error /
    tolerance)); NaN anywhere counts as failing. ``remeasure(which, step)``
    gives (plus, minus) again for the values ``which`` at a smaller step;
    ``directional``: the values are along random directions (see
    ``_kink_at_smaller_steps``)."""
    central = (plus - minus) / (2 * eps)
    forward = (plus - base) / eps
    backward = (base - minus) / eps
    tol = atol + rtol * np.abs(central)
    error = np.abs(analytic - central)
    out_of_tol = ~(error <= tol)  # NaN -> out of tolerance
    kink = np.zeros(out_of_tol.shape, dtype=bool)
    if kinks == "skip":
        disagree = out_of_tol & (np.abs(forward - backward) > tol)
        low = np.minimum(np.minimum(forward, backward), central) - tol
        high = np.maximum(np.maximum(forward, backward), central) + tol
        between = (analytic >= low) & (analytic <= high)
        kink = disagree & between
        unsure = np.flatnonzero(disagree & ~between)
        if unsure.size:
            kink[unsure] = _kink_at_smaller_steps(
                analytic[unsure], base, eps, atol, rtol, tol[unsure],
                lambda step: remeasure(unsure, step), directional)
    failing = out_of_tol & ~kink
    excess = np.where(np.isnan(error), np.inf, error - tol)
    ratio = np.where(np.isnan(error), np.inf, error / np.maximum(tol, 1e-300))
    return central, (failing, kink, excess, ratio)


def _kink_at_smaller_steps(analytic, base, eps, atol, rtol, tol, remeasure,
                           directional):
    """For values whose one-sided slopes disagree but do not bracket the
    analytic one: remeasure at eps/10 and eps/100. A kink within eps but not
    within the smaller step then agrees there. Along a random direction
    several kinks can sit exactly at x at once (ReLUs of exact zeros): their
    slopes stay apart however small the step, while a smooth function's part
    by step * f'' and come together; such a direction is a kink too. Along
    one element a kink at x must bracket the analytic value, so a wrong
    derivative at the kink itself (relu'(0) = 5) is still a failure."""
    found = np.zeros(len(analytic), dtype=bool)
    for step in (eps / 10, eps / 100):
        plus, minus = remeasure(step)
        central = (plus - minus) / (2 * step)
        found |= np.abs(analytic - central) <= atol + rtol * np.abs(central)
    if directional:
        parted = np.abs((plus - base) / step - (base - minus) / step)
        rounding = 8 * np.finfo(np.float64).eps * (abs(base) + 1) / step
        found |= parted > tol + rounding
    return found


def summarize(name, mode, size, analytic, central, judged, where):
    """One input's result; ``where[k]`` names what value k was (an element
    index or a direction number)."""
    failing, kink, excess, ratio = judged
    result = {"name": name, "mode": mode, "size": int(size),
              "checked": int(len(analytic)), "n_bad": int(failing.sum()),
              "n_kinks": int(kink.sum()), "worst": None, "score": 0.0,
              "bad": [where[k] for k in np.flatnonzero(failing)[:MAX_LISTED]]}
    if result["n_bad"]:
        k = int(np.argmax(np.where(failing, excess, -np.inf)))
        a, n = float(analytic[k]), float(central[k])
        result["worst"] = {"where": where[k], "analytic": a, "numerical": n,
                           "abs_error": abs(a - n),
                           "rel_error": abs(a - n) / max(abs(n), 1e-300)}
        result["score"] = float(ratio[k])  # comparable across inputs
    return result


def check_elements(problem, i, flat_indices, base, eps, atol, rtol, kinks, mode):
    """Element-wise check of input i at the given flat indices."""
    x, g = problem.arrays[i], problem.analytic[i]
    flat_indices = np.asarray(flat_indices, dtype=np.int64)
    plus, minus = element_differences(problem.objective, x, flat_indices, eps)
    analytic = g.reshape(-1)[flat_indices] if g.size else np.empty(0)
    central, judged = judge(
        analytic, plus, minus, base, eps, atol, rtol, kinks,
        lambda k, step: element_differences(problem.objective, x,
                                            flat_indices[k], step))
    where = [tuple(int(v) for v in np.unravel_index(int(f), x.shape))
             for f in flat_indices]
    return summarize(problem.names[i], mode, x.size, analytic, central, judged,
                    where)


def random_directions(rng, shape, count):
    """``count`` random unit vectors of ``shape`` (Gaussian, normalised):
    uniform on the sphere, so no element or axis is favoured."""
    u = rng.standard_normal((count,) + tuple(shape))
    norms = np.sqrt(np.sum(u.reshape(count, -1) ** 2, axis=1))
    return u / norms.reshape((count,) + (1,) * len(shape))


def check_directions(problem, i, directions, base, eps, atol, rtol, kinks):
    """Directional check of input i along each of ``directions``."""
    x, g = problem.arrays[i], problem.analytic[i]
    plus, minus = direction_differences(problem.objective, x, directions, eps)
    analytic = np.array([float(np.sum(g * u)) for u in directions])
    central, judged = judge(
        analytic, plus, minus, base, eps, atol, rtol, kinks,
        lambda k, step: direction_differences(problem.objective, x,
                                              directions[k], step),
        directional=True)
    return summarize(problem.names[i], "fast", x.size, analytic, central, judged,
                    list(range(len(directions))))


def run(problem, mode, eps, atol, rtol, kinks, rng, samples=None, directions=4,
        locate=True):
    """Check every input of ``problem`` in ``mode``; returns one result dict
    per input. In fast mode the failing input that is furthest out of
    tolerance is then checked element by element, so the report can name
    the element: its result is stored under ``"located"`` (not with
    ``locate=False``: that check costs 2 evaluations per element). An input
    whose every direction was put down to a kink is checked element by
    element too (its result says ``"why"``): otherwise nothing about it
    would have been verified."""
    base = _evaluate(problem.objective)

    def every_element(i, mode="full"):
        return check_elements(problem, i, np.arange(problem.arrays[i].size),
                              base, eps, atol, rtol, kinks, mode)

    results = []
    for i, x in enumerate(problem.arrays):
        if mode == "full" or x.size == 0:
            results.append(every_element(i, mode))
        elif mode == "sampled":
            picked = rng.choice(x.size, min(samples, x.size), replace=False)
            results.append(check_elements(problem, i, np.sort(picked), base,
                                          eps, atol, rtol, kinks, mode))
        else:
            u = random_directions(rng, x.shape, directions)
            results.append(check_directions(problem, i, u, base, eps, atol,
                                            rtol, kinks))
    if mode != "fast" or not locate:
        return results
    for i, r in enumerate(results):
        if r["checked"] and not r["n_bad"] and r["n_kinks"] == r["checked"]:
            results[i] = every_element(i)
            results[i]["why"] = ("every random direction crossed a kink, so "
                                 "it was checked element by element")
    failing = [i for i, r in enumerate(results) if r["n_bad"]]
    if failing:
        worst = max(failing, key=lambda i: results[i]["score"])
        results[worst]["located"] = every_element(worst)
    return results
