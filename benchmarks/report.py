"""What a benchmark run produces: sections of tables, targets with pass/fail,
and the machine they were measured on, rendered as Markdown."""
import datetime
import os
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Target:
    """One goal from the performance issue: ``measured <= limit`` (or >=)."""

    name: str
    measured: float
    limit: float
    at_least: bool = False  # True for "at least limit", e.g. a speed-up

    @property
    def passed(self):
        if self.measured != self.measured:  # nan: could not measure
            return False
        if self.at_least:
            return self.measured >= self.limit
        return self.measured <= self.limit

    def verdict(self):
        return "pass" if self.passed else "**FAIL**"

    def goal(self):
        return (">= " if self.at_least else "<= ") + fmt(self.limit)


@dataclass
class Section:
    title: str
    intro: str = ""
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    targets: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    skipped: str = ""

    def add_row(self, *cells):
        self.rows.append([fmt(c) for c in cells])

    def to_markdown(self):
        lines = [f"### {self.title}", ""]
        if self.intro:
            lines += [self.intro, ""]
        if self.skipped:
            return "\n".join(lines + [f"skipped: {self.skipped}", ""])
        if self.rows:
            lines.append("| " + " | ".join(self.columns) + " |")
            lines.append("|" + "---|" * len(self.columns))
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            lines.append("")
        lines += [f"- {note}" for note in self.notes]
        if self.notes:
            lines.append("")
        return "\n".join(lines)


def fmt(value):
    """Numbers with 3 significant digits, everything else as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if value != value:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def _git_commit():
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10, check=False,
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine_info(threads):
    """Everything a reader needs to judge (or repeat) the numbers."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "date (UTC)": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M"),
        "CPU": _cpu_model(),
        "cores": os.cpu_count(),
        "threads used (numba, torch)": threads,
        "memory": f"{_memory_gib():.0f} GiB",
        "OS": platform.platform(terse=True),
        "Python": platform.python_version(),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "torch": _version("torch"),
        "micrograd": _version("micrograd"),
        "minigrad commit": _git_commit(),
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in load),
    }


def render(sections, info, command, smoke):
    """The whole report: machine, summary of targets, then every section."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    info = dict(info)
    info["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in load)
    lines = []
    if smoke:
        lines += ["**Smoke run: tiny sizes, the numbers mean nothing.**", ""]
    lines += ["| machine | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in info.items()]
    lines += ["", f"Reproduce: `{command}`", ""]
    targets = [t for s in sections for t in s.targets]
    if targets:
        lines += ["### Targets", "", "| target | measured | goal | result |",
                  "|---|---|---|---|"]
        lines += [f"| {t.name} | {fmt(t.measured)} | {t.goal()} | {t.verdict()} |"
                  for t in targets]
        lines.append("")
    for section in sections:
        lines.append(section.to_markdown())
    return "\n".join(lines).rstrip() + "\n"


def command_line():
    args = " ".join(sys.argv[1:])
    return f"python -m benchmarks {args}".strip()
