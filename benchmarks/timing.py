"""Interleaved timing: every candidate is timed in the same loop, so slow
phases of a shared machine hit all of them alike, and ratios stay honest.

One repetition runs each candidate once; the order alternates between
forward and reverse on odd and even repetitions, so no candidate always runs
right after the same neighbour (caches, turbo, the allocator). We report the
median of the repetitions, which ignores the odd outlier caused by another
process, and ratios of medians from the same run.

``pause`` (default 0) sleeps between timed calls, untimed. We tried it to
let the OpenMP threads of numba and torch stop spinning before the next case
starts; on this VM longer pauses made every case slower (the idle vCPU is
parked), so it is off.
"""
import gc
import statistics
import time


PAUSE = 0.0  # seconds between timed calls (see above)


def interleaved(cases, repetitions, warmup=1, inner=1, pause=PAUSE):
    """Time each callable in ``cases`` (name -> callable) ``repetitions`` times.

    ``inner`` calls make one sample (for operations that take microseconds);
    the sample is divided by ``inner``, so results are seconds per call.
    Returns name -> list of seconds per call, one entry per repetition.
    """
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    gc.collect()
    samples = {name: [] for name in names}
    clock = time.perf_counter
    for rep in range(repetitions):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            call = cases[name]
            if pause:
                time.sleep(pause)
            start = clock()
            for _ in range(inner):
                call()
            samples[name].append((clock() - start) / inner)
    return samples


def median(values):
    return statistics.median(values)


def medians(samples):
    """name -> median seconds, from what :func:`interleaved` returns."""
    return {name: median(values) for name, values in samples.items()}


def spread(values):
    """Relative half-width of the middle half of the samples (IQR / 2 / median).

    A quick honesty check: if this is large, the machine was busy and the
    ratios built from these medians are less certain.
    """
    if len(values) < 4:
        return float("nan")
    q1, _, q3 = statistics.quantiles(values, n=4)
    mid = statistics.median(values)
    return (q3 - q1) / 2 / mid if mid > 0 else float("nan")
