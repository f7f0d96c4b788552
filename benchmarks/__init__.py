"""minigrad's performance suite. Run it with ``python -m benchmarks``."""
