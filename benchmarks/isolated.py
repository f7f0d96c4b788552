"""Cross-library timing: each side alone in its own process, taking turns.

Two libraries in one process fight over the cores: OpenBLAS, numba's and
torch's OpenMP threads keep spinning for a while after their work ends, so
whatever runs next is slowed (torch's 784-256-256-10 training step ran ~15x
slower interleaved with minigrad's than alone). So a comparison with
another library runs every side in a worker process of its own:

* one worker per side, started once (``python -m benchmarks.isolated``),
  builds its case (model, data, optimizer) from a factory in this package
  and runs it once untimed (compilation, allocation, first touch);
* then rounds: in each round every worker in turn times its case for a
  time budget while the others wait blocked on their pipe (no thread of
  theirs runs); the order is reversed every other round, and a short pause
  before each turn lets the previous side's threads go to sleep;
* the result per side is the median of all its samples (each sample one
  call) and the spread of the per-round medians.

Comparisons inside minigrad stay in one process (``timing.interleaved``).
``contention`` runs the same with a CPU-bound process (a busy loop) that is
stopped (SIGSTOP) between turns and let run (SIGCONT) during the turns that
measure the loaded case.
"""
import importlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time

from .report import REPO

PAUSE = 0.05  # seconds before each turn: the previous side's threads settle


def _worker_env(threads):
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)  # measure what a user gets
    env["MINIGRAD_BENCH_THREADS"] = str(threads)
    return env


class Worker:
    """One side of a comparison, in a process of its own."""

    def __init__(self, factory, kwargs, threads):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.isolated"], cwd=REPO,
            env=_worker_env(threads), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, bufsize=1)
        self.send({"factory": factory, "kwargs": kwargs})  # builds meanwhile

    def send(self, message):
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        self.last = message

    def ask(self, message):
        self.send(message)
        return self.reply()

    def reply(self):
        message = self.last
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker died on {message}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"benchmark worker: {reply['error']}")
        return reply

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


class Result:
    """Samples (seconds per call) of one side over all rounds."""

    def __init__(self):
        self.samples, self.round_medians, self.extra = [], [], []

    @property
    def median(self):
        return statistics.median(self.samples)

    @property
    def spread(self):
        """Half the range of the per-round medians over the median."""
        r = self.round_medians
        return (max(r) - min(r)) / 2 / self.median if len(r) > 1 else float("nan")


def compare(sides, rounds=5, seconds=0.5, max_calls=400, threads=None,
            busy=(), min_calls=3):
    """Time each side alone in its own process, in alternating rounds.

    ``sides``: name -> (factory, kwargs), a factory being ``"module:function"``
    in this package that returns a zero-argument callable (one call = one
    step). ``busy``: names of sides measured while a CPU-bound process runs
    (``contention``); they must also appear in ``sides`` under a name of
    their own. Returns name -> ``Result``.
    """
    threads = threads or os.cpu_count() or 1
    workers, spinner = {}, None
    try:
        for name, (factory, kwargs) in sides.items():
            workers[name] = Worker(factory, kwargs, threads)
        for worker in workers.values():  # all built before any timing
            worker.reply()
        if busy:
            spinner = subprocess.Popen(
                [sys.executable, "-c", "while True: pass"])
            os.kill(spinner.pid, signal.SIGSTOP)
        results = {name: Result() for name in sides}
        names = list(sides)
        for r in range(rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                time.sleep(PAUSE)
                if name in busy:
                    os.kill(spinner.pid, signal.SIGCONT)
                try:
                    reply = workers[name].ask(
                        {"seconds": seconds, "max_calls": max_calls,
                         "min_calls": min_calls})
                finally:
                    if name in busy:
                        os.kill(spinner.pid, signal.SIGSTOP)
                res = results[name]
                res.samples += reply["samples"]
                res.round_medians.append(statistics.median(reply["samples"]))
                if reply.get("extra"):
                    res.extra.append(reply["extra"])
        return results
    finally:
        for worker in workers.values():
            worker.close()
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def _serve():
    """Worker side: build the case, then time it whenever asked."""
    threads = int(os.environ.get("MINIGRAD_BENCH_THREADS", "0")) or None
    run = None
    for line in sys.stdin:
        message = json.loads(line)
        try:
            if message.get("quit"):
                return
            if "factory" in message:
                module, function = message["factory"].split(":")
                make = getattr(importlib.import_module(module), function)
                run = make(threads=threads, **message["kwargs"])
                run()  # untimed: compile, allocate, touch
                reply = {"ok": True}
            else:
                reply = _time(run, message["seconds"], message["max_calls"],
                              message["min_calls"])
        except Exception as err:  # report it to the parent, keep serving
            reply = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def _time(run, seconds, max_calls, min_calls):
    clock = time.perf_counter
    samples = []
    end = clock() + seconds
    while len(samples) < max_calls and (len(samples) < min_calls or clock() < end):
        start = clock()
        run()
        samples.append(clock() - start)
    extra = getattr(run, "extra", None)
    return {"samples": samples, "extra": extra() if extra else None}


def set_threads(threads):
    """Give every thread pool of this process the same thread count: numba's
    and torch's (when loaded) and, through threadpoolctl, the BLAS and OpenMP
    libraries loaded so far (NumPy's OpenBLAS; torch's OpenMP)."""
    if not threads:
        return
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then NumPy's BLAS keeps its default (all cores)
        return
    _LIMITS.append(threadpool_limits(limits=threads))


_LIMITS = []  # kept alive: the limits hold while the worker runs


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    _serve()
