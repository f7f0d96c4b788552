"""The close race alone: minigrad's Adam/AdamW against torch ``fused=True``.

    python -m benchmarks.race            # ~10 s; prints one line per rule

The same pair as the first half of section 3 (10M float32 in one tensor,
interleaved, 21 repetitions), without the rest of the suite, so it can be
repeated in a quiet minute of a shared machine.
"""
import os

from .bench_optim import minigrad_step, torch_step
from .timing import interleaved, medians


def main(n=10_000_000, repetitions=21):
    import numba
    import torch

    threads = os.cpu_count() or 1
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    torch.set_num_threads(threads)
    print(f"load average {os.getloadavg()[0]:.2f}, {threads} threads")
    for rule in ("Adam", "AdamW"):
        cases = {"minigrad": minigrad_step(rule, {}, [(n,)], "cpu"),
                 "torch fused": torch_step(rule, {}, [(n,)], "fused")}
        med = medians(interleaved(cases, repetitions))
        print(f"{rule}: minigrad {med['minigrad'] * 1e3:.2f} ms, torch fused "
              f"{med['torch fused'] * 1e3:.2f} ms, ratio "
              f"{med['minigrad'] / med['torch fused']:.3f} (target <= 0.85)")


if __name__ == "__main__":
    main()
