"""What a gradient check found, as an object and in words.

``GradcheckReport`` is returned by the ``assert_*`` helpers and carried by
``GradcheckError``; ``str(report)`` is the text a failing test prints: per
input, the worst element (or direction), both values, both errors, how many
values are out of tolerance, and how many were skipped as kinks.
"""

__all__ = ["GradcheckError", "GradcheckReport"]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients differ. ``failures`` holds one dict per
    failing input (name, index of the worst element, analytic, numerical,
    abs_error, rel_error, n_bad, size); ``report`` is the whole
    ``GradcheckReport``; the message says the same in words. An
    ``AssertionError``, so pytest shows it as a failed assertion."""

    def __init__(self, message, failures=(), report=None):
        super().__init__(message)
        self.failures = list(failures)
        self.report = report


def _pair(w, against="numerical"):
    return (f"analytic {w['analytic']:.8g} vs {against} {w['numerical']:.8g} "
            f"(abs error {w['abs_error']:.3g}, rel error {w['rel_error']:.3g})")


class GradcheckReport:
    """The outcome of one check: ``passed``, ``mode`` ("full", "sampled" or
    "fast"), ``results`` (one dict per checked input: ``name``, ``size``,
    ``checked``, ``n_bad``, ``n_kinks``, ``worst``, and ``bad``: the first
    100 failing element indices or direction numbers), ``failures`` (as in
    ``GradcheckError``), ``kinks_skipped``; ``str()`` gives the text.
    Truthy when the check passed."""

    def __init__(self, results, mode, atol, rtol, kinks="skip", title="gradcheck",
                 per_input=None, notes=()):
        self.results = list(results)
        self.mode = mode
        self.atol, self.rtol, self.kinks = atol, rtol, kinks
        self.title = title
        self.per_input = per_input  # samples or directions per input
        self.notes = list(notes)    # extra lines (e.g. inputs not checked)

    @property
    def passed(self):
        return all(r["n_bad"] == 0 for r in self.results)

    def __bool__(self):
        return self.passed

    @property
    def kinks_skipped(self):
        """Values out of tolerance put down to a kink (0 with kinks="fail")."""
        if self.kinks == "fail":
            return 0
        return sum(r["n_kinks"] + r.get("located", {}).get("n_kinks", 0)
                   for r in self.results)

    @property
    def failures(self):
        found = []
        for r in self.results:
            if not r["n_bad"]:
                continue
            located = r.get("located")
            source = located if located and located["worst"] else r
            w = source["worst"]
            found.append({
                "name": r["name"], "mode": r["mode"],
                "index": w["where"] if source["mode"] != "fast" else None,
                "analytic": w["analytic"], "numerical": w["numerical"],
                "abs_error": w["abs_error"], "rel_error": w["rel_error"],
                "n_bad": source["n_bad"], "size": r["size"],
                "checked": source["checked"], "n_kinks": source["n_kinks"],
            })
        return found

    def _header(self):
        how = {"full": "",
               "sampled": f"sampled: {self.per_input} random elements per "
                          f"input, ",
               "fast": f"fast: {self.per_input} random unit directions per "
                       f"input, "}[self.mode]
        verdict = "passed" if self.passed else "failed"
        return f"{self.title} {verdict} ({how}atol={self.atol}, rtol={self.rtol}):"

    def _kinks(self, result):
        if self.kinks == "fail" or not result["n_kinks"]:
            return ""
        what = "direction" if result["mode"] == "fast" else "element"
        plural = "s" if result["n_kinks"] > 1 else ""
        return f"; {result['n_kinks']} {what}{plural} at a kink skipped"

    def _count(self, r, verdict):
        if r["mode"] == "fast":
            return f"{r['checked']} directions {verdict}"
        if r["mode"] == "sampled":
            return f"{r['checked']} sampled elements (of {r['size']}) {verdict}"
        return f"{r['size']} elements {verdict}"

    def _line(self, r):
        if not r["n_bad"]:
            agree = r["checked"] - (r["n_kinks"] if self.kinks == "skip" else 0)
            return (f"  {r['name']}: {agree} of {self._count(r, 'agree')}"
                    f"{self._kinks(r)}")
        w = r["worst"]
        if r["mode"] == "fast":
            head = (f"  {r['name']}: along random unit direction {w['where']}: "
                    f"{_pair(w)}; {r['n_bad']} of "
                    f"{self._count(r, 'out of tolerance')}{self._kinks(r)}")
            return head + self._located(r.get("located"))
        total = r["checked"] if r["mode"] == "sampled" else r["size"]
        sampled = " sampled" if r["mode"] == "sampled" else ""
        against = r.get("against", "numerical")
        return (f"  {r['name']}: worst element {w['where']}: "
                f"{_pair(w, against)}; "
                f"{r['n_bad']} of {total}{sampled} elements out of tolerance"
                f"{self._kinks(r)}")

    def _located(self, located):
        if located is None:
            return ""
        if located["worst"] is None and located["n_kinks"]:
            return (f"\n    element by element: no element is out of "
                    f"tolerance except {located['n_kinks']} at a kink")
        if located["worst"] is None:
            return ("\n    element by element every element is within "
                    "tolerance: the error is spread thinly over many elements")
        return ("\n    element by element: " + self._line(located).strip()
                .split(": ", 1)[1])

    def __str__(self):
        lines = [self._header()]
        shown = self.results if self.passed else [r for r in self.results
                                                  if r["n_bad"]]
        lines += [self._line(r) + (f" ({r['why']})" if "why" in r else "")
                  for r in shown]
        lines += ["  " + note for note in self.notes]
        return "\n".join(lines)

    def __repr__(self):
        return f"<GradcheckReport {self._header()[:-1]}>"

    def error(self):
        """The ``GradcheckError`` to raise for this (failed) report."""
        return GradcheckError(str(self), self.failures, self)
