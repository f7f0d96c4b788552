"""Matrix products: ``matmul`` (NumPy's ``@``) and the fused ``linear``
(``x W^T + b``, what ``nn.Linear`` computes), forward and backward side by
side, written like the ops of ``ops_math`` (see its notation: ``gy``,
``self.args``/``self.out``, arrays or Tensors in backward).

``linear`` is one op where ``x @ W.T + b`` would be three (transpose,
matmul, add): a small MLP's training step is mostly per-op bookkeeping, so
its graph has a third of the nodes, and the weight's gradient ``gy^T x`` is
born in W's own (out, in) layout.
"""
import numpy as np

from .ops_math import Op, sum_to


class MatMul(Op):
    """y = a @ b (NumPy's matmul: 1-D operands, batched leading dims).

    For 2-D a (n, k), b (k, m): dL/da = gy @ b^T, dL/db = a^T @ gy. A 1-D
    operand is treated as a row (a) or column (b) vector and the extra axis
    removed again; batch dims that were broadcast are summed with sum_to.
    """

    label = "matmul"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs tensors with at least 1 dim, got "
                             f"shapes {a.shape} and {b.shape} (use * for scalars)")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"shapes {a.shape} and {b.shape} are not aligned: the left's "
                f"last dim ({a.shape[-1]}) must equal the right's "
                f"{'second-to-last' if b.ndim > 1 else 'only'} dim "
                f"({b.shape[-2 if b.ndim > 1 else 0]})")
        return a @ b

    def backward(self, gy):
        (a, b), (a_t, b_t) = self.args, self.inputs
        if b.ndim == 1:  # b was a column: put its axis back in gy and b
            b, gy = b[:, None], gy[..., None]
        if a.ndim == 1:  # a was a row
            a, gy = a[None, :], gy[..., None, :]
        ga = gb = None
        if a_t.requires_grad:
            ga = gy @ _swap_last_two(b)
            if a_t.ndim == 1:
                ga = ga[..., 0, :]
            ga = sum_to(ga, a_t.data.shape)
        if b_t.requires_grad:
            # b = W.T (Linear): (gy^T a)^T is laid out like W: no copy at the leaf
            flip = b_t.ndim == 2 == a.ndim and not b_t.data.flags.c_contiguous
            gb = (_swap_last_two(_swap_last_two(gy) @ a) if flip
                  else _swap_last_two(a) @ gy)
            if b_t.ndim == 1:
                gb = gb[..., 0]
            gb = sum_to(gb, b_t.data.shape)
        return ga, gb


def _swap_last_two(x):
    """x with its last two axes swapped (a batch of matrices transposed)."""
    n = x.ndim
    return x.transpose(*range(n - 2), n - 1, n - 2)


class Linear(Op):
    """y = x W^T + b, for x (..., in), W (out, in) and b (out,) or no b.

    Over the rows of x and gy (every leading index; a 1-D x is one row):

        dL/dx = gy W,    dL/dW = gy^T x,    dL/db = sum of gy over the rows
    """

    label = "linear"

    def forward(self, x, w, b=None):
        y = x @ w.T
        if b is not None:
            y += b  # y is a new array: add in place, one pass and no copy
        return y

    def backward(self, gy):
        x, w = self.args[0], self.args[1]
        inputs = self.inputs
        gx = gy @ w if inputs[0].requires_grad else None
        gw = gb = None
        if inputs[1].requires_grad or len(inputs) == 3:
            rows = gy if gy.ndim == 2 else gy.reshape(-1, w.shape[0])
            if inputs[1].requires_grad:
                x_rows = x if x.ndim == 2 else x.reshape(-1, w.shape[1])
                gw = rows.T @ x_rows
            if len(inputs) == 3 and inputs[2].requires_grad:
                gb = rows.sum(axis=0)
        return (gx, gw) if len(inputs) == 2 else (gx, gw, gb)
