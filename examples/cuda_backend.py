"""Run an optimizer's update on the GPU (Numba @cuda.jit), or fall back.

    python examples/cuda_backend.py [--steps 50]

Every minigrad optimizer takes backend="numpy" (the readable reference),
"cpu" (a Numba @njit kernel) or "cuda" (a Numba @cuda.jit kernel); all three
compute the same update up to rounding. This script trains a small MLP with
Adam on the GPU when one is usable, and otherwise says so and uses the CPU
kernel -- then checks that the result matches the NumPy reference.

No GPU? The CUDA kernels can still be *run* in Numba's simulator (slow, pure
Python): NUMBA_ENABLE_CUDASIM=1 python examples/cuda_backend.py
"""
import argparse
import os

import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.data import make_spirals
from minigrad.nn import functional as F


def gpu_backend():
    """'cuda' if a GPU (or the simulator) is usable, else 'cpu' with a note."""
    try:
        from numba import cuda
    except ImportError as exc:
        print(f"numba's CUDA support is not installed ({exc}); "
              f'pip install "minigrad[cuda]". Using the CPU kernel.')
        return "cpu"
    if cuda.is_available():
        kind = "the CUDA simulator" if os.environ.get(
            "NUMBA_ENABLE_CUDASIM") == "1" else "the GPU"
        print(f"using {kind}")
        return "cuda"
    print("no usable CUDA GPU found: falling back to backend='cpu' (the "
          "@njit kernel). Set NUMBA_ENABLE_CUDASIM=1 to run the CUDA kernel "
          "in Numba's simulator instead.")
    return "cpu"


def train(backend, steps, X, y):
    mg.manual_seed(0)
    model = nn.MLP([2, 16, 16, 3])
    opt = optim.Adam(model.parameters(), lr=0.01, backend=backend)
    for _ in range(steps):
        loss = F.cross_entropy(model(mg.Tensor(X)), mg.Tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, loss.item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    X, y = make_spirals(150, seed=0)
    backend = gpu_backend()
    model, loss = train(backend, args.steps, X, y)
    print(f"backend={backend!r}: loss after {args.steps} full-batch Adam "
          f"steps {loss:.4f}")
    reference, ref_loss = train("numpy", args.steps, X, y)
    worst = max(float(np.max(np.abs(a.data - b.data)))
                for a, b in zip(model.parameters(), reference.parameters()))
    print(f"backend='numpy' (reference): loss {ref_loss:.4f}; largest "
          f"parameter difference {worst:.2e}")
    # float32 rounding differs between kernels, and 50 steps amplify it a
    # little; anything near 1e-3 would mean a wrong kernel, not rounding
    assert worst < 1e-3, worst


if __name__ == "__main__":
    main()
