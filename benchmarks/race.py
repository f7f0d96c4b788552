"""The close race alone: minigrad's Adam/AdamW against torch ``fused=True``.

    python -m benchmarks.race            # ~1 min; prints one line per rule

The same pair as the first column of section 3 (10M float32 in one tensor),
each side alone in its own process taking turns (``isolated.py``), without
the rest of the suite, so it can be repeated in a quiet minute.
"""
import os

from .isolated import compare


def main(n=10_000_000, rounds=7):
    threads = os.cpu_count() or 1
    print(f"load average {os.getloadavg()[0]:.2f}, {threads} threads")
    for rule in ("Adam", "AdamW"):
        side = dict(cls=rule, kwargs={}, shapes=[[n]])
        res = compare({
            "minigrad": ("benchmarks.cases:optimizer_step",
                         dict(lib="minigrad", **side)),
            "torch fused": ("benchmarks.cases:optimizer_step",
                            dict(lib="torch", mode="fused", **side)),
        }, rounds=rounds, threads=threads)
        mg, fused = res["minigrad"].median, res["torch fused"].median
        print(f"{rule}: minigrad {mg * 1e3:.2f} ms, torch fused "
              f"{fused * 1e3:.2f} ms, ratio {mg / fused:.3f} (target <= 0.85)")


if __name__ == "__main__":
    main()
