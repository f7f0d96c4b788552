"""CPU kernels: one ``@njit`` call updates every tensor of a parameter bucket.

Every kernel has the same skeleton (see ``docs/kernels.md``):

* ``work[w]:work[w+1]`` are the rows of work item ``w``; the work items hold
  equal numbers of elements, and ``prange`` hands them to the threads;
* ``piece(r, ...)`` (the one helper for the scaffolding) turns row ``r`` of
  the host-built ``(tensor, start, end)`` table into the tensor ``t``, its
  parameter and gradient elements (reached through their own arrays'
  addresses: nothing is gathered or copied) and where they sit in the flat
  state buffers;
* ``read_<rule>(coefs, t)`` is tensor ``t``'s coefficients by name.

What remains in each kernel is its rule's call. The innermost loops index
slices from 0 (``x[i]`` for ``i in range(n)``); indexing ``x[lo + i]``
stopped LLVM from vectorising them. ``error_model="numpy"`` lets ``x / 0``
give inf instead of raising, which is also what makes the loops vectorise.
Where an option decides which buffers a loop writes (SGD's momentum,
RMSProp's centered and momentum, Adam's amsgrad) the kernel repeats the loop
once per combination, each writing only its own buffers: a conditional or
aliased store stops LLVM from vectorising (2x slower; benchmarks/, section 1).
"""
import numpy as np
from numba import carray, njit, prange, types
from numba.core.extending import intrinsic, register_jitable

from .. import adagrad, adam, adamw, lamb, momentum, rmsprop, sgd
from .jit import (read_adagrad, read_adam, read_adamw, read_lamb,
                  read_momentum, read_rmsprop, read_sgd)

_FLAGS = dict(parallel=True, error_model="numpy", cache=True)


@intrinsic
def _pointer(typingctx, address, like):
    """The int64 ``address`` as a pointer to elements of ``like``'s dtype."""
    pointer = types.CPointer(like.dtype)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer))

    return pointer(types.int64, like), codegen


@register_jitable
def _tensor(address, size, like):
    """A 1-d view of ``size`` elements at ``address`` (dtype of ``like``)."""
    return carray(_pointer(address, like), size)


@register_jitable
def piece(r, rows, p_addr, g_addr, offsets, like):
    """Row ``r``: ``(t, p, g, start, end)`` -- tensor ``t``, its parameter and
    gradient elements ``lo:hi``, and ``start:end``, the same elements in the
    bucket's flat state buffers."""
    t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
    p = _tensor(p_addr[t], hi, like)[lo:hi]
    g = _tensor(g_addr[t], hi, like)[lo:hi]
    return t, p, g, offsets[t] + lo, offsets[t] + hi


def arguments(plan, work, rows, p_addr, g_addr, offsets):
    """The kernel's arguments, in its order (every kernel's signature starts
    with the scaffolding, then the table, the steps, flags, state, scratch,
    and the diagnostics it fills)."""
    return (work, rows, p_addr, g_addr, offsets, plan.coefficients,
            plan.wide_coefficients, plan.steps, *plan.flags, *plan.buffers,
            *plan.scratch, *plan.diagnostics)


@njit(**_FLAGS)
def sgd_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
               has_weight_decay, has_momentum, nesterov, momentum_buffer):
    """SGD on every tensor of a bucket: ``sgd.sgd_element`` per element."""
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_sgd(coefs, t)
            first = steps[t] == 1  # no buffer yet (see SGD._steps)
            if has_momentum:
                b = momentum_buffer[start:end]
                for i in range(p.size):
                    p[i], b[i] = sgd.sgd_element(p[i], g[i], b[i], c,
                                                 has_weight_decay, 1, first,
                                                 nesterov)
            else:
                for i in range(p.size):
                    p[i], _ = sgd.sgd_element(p[i], g[i], g[i], c,
                                              has_weight_decay, 0, first, 0)


@njit(**_FLAGS)
def momentum_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
                    has_weight_decay, velocity):
    """Momentum on every tensor of a bucket: ``momentum_element`` per element."""
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_momentum(coefs, t)
            v = velocity[start:end]
            for i in range(p.size):
                p[i], v[i] = momentum.momentum_element(p[i], g[i], v[i], c,
                                                       has_weight_decay)


@njit(**_FLAGS)
def adagrad_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
                   has_weight_decay, state_sum):
    """AdaGrad on every tensor of a bucket: ``adagrad.adagrad_element`` per element."""
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_adagrad(coefs, t)
            s = state_sum[start:end]
            for i in range(p.size):
                p[i], s[i] = adagrad.adagrad_element(p[i], g[i], s[i], c,
                                                     has_weight_decay)


@njit(**_FLAGS)
def rmsprop_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
                   has_weight_decay, centered, has_momentum, square_avg,
                   grad_avg, momentum_buffer):
    """RMSProp on every tensor of a bucket: ``rmsprop.rmsprop_element`` per element."""
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_rmsprop(coefs, t)
            v = square_avg[start:end]
            element = rmsprop.rmsprop_element
            if centered and has_momentum:
                gbar, b = grad_avg[start:end], momentum_buffer[start:end]
                for i in range(p.size):
                    p[i], v[i], gbar[i], b[i] = element(
                        p[i], g[i], v[i], gbar[i], b[i], c, has_weight_decay,
                        1, 1)
            elif centered:
                gbar = grad_avg[start:end]
                for i in range(p.size):
                    p[i], v[i], gbar[i], _ = element(
                        p[i], g[i], v[i], gbar[i], v[i], c, has_weight_decay,
                        1, 0)
            elif has_momentum:
                b = momentum_buffer[start:end]
                for i in range(p.size):
                    p[i], v[i], _, b[i] = element(
                        p[i], g[i], v[i], v[i], b[i], c, has_weight_decay, 0, 1)
            else:
                for i in range(p.size):
                    p[i], v[i], _, _ = element(
                        p[i], g[i], v[i], v[i], v[i], c, has_weight_decay, 0, 0)


@njit(**_FLAGS)
def adam_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
                has_weight_decay, amsgrad, exp_avg, exp_avg_sq, max_exp_avg_sq):
    """Adam on every tensor of a bucket: ``adam.adam_element`` per element."""
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_adam(coefs, t)
            m, v = exp_avg[start:end], exp_avg_sq[start:end]
            if amsgrad:
                vmax = max_exp_avg_sq[start:end]
                for i in range(p.size):
                    p[i], m[i], v[i], vmax[i] = adam.adam_element(
                        p[i], g[i], m[i], v[i], vmax[i], c, has_weight_decay, 1)
            else:
                for i in range(p.size):
                    p[i], m[i], v[i], _ = adam.adam_element(
                        p[i], g[i], m[i], v[i], v[i], c, has_weight_decay, 0)


@njit(**_FLAGS)
def adamw_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
                 amsgrad, exp_avg, exp_avg_sq, max_exp_avg_sq):
    """AdamW on every tensor of a bucket: ``adamw.adamw_element`` per element."""
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_adamw(coefs, t)
            m, v = exp_avg[start:end], exp_avg_sq[start:end]
            if amsgrad:
                vmax = max_exp_avg_sq[start:end]
                for i in range(p.size):
                    p[i], m[i], v[i], vmax[i] = adamw.adamw_element(
                        p[i], g[i], m[i], v[i], vmax[i], c, 1)
            else:
                for i in range(p.size):
                    p[i], m[i], v[i], _ = adamw.adamw_element(
                        p[i], g[i], m[i], v[i], v[i], c, 0)


@njit(**_FLAGS, fastmath={"reassoc"})
def lamb_kernel(work, rows, p_addr, g_addr, offsets, coefs, wide, steps,
                has_clip, adapt, exp_avg, exp_avg_sq, update, trust_ratio):
    """Two passes in one call: (1) moments and the update ``u`` (kept in the
    scratch array ``update``), and the squared norms of p and u per row, in
    float64; per-tensor sums and trust ratios ``r = ||p|| / ||u||`` (1 if
    either is 0, written to ``trust_ratio``) between the passes; (2)
    ``p -= lr * r * u``, with the rate from the float64 table, as the norms.
    ``reassoc`` lets LLVM vectorise the norm sums (it may reorder them)."""
    n_rows = rows.shape[0]
    norms = np.zeros((n_rows, 2))
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            c = read_lamb(coefs, t)
            m, v, u = exp_avg[start:end], exp_avg_sq[start:end], update[start:end]
            p_sq = 0.0
            u_sq = 0.0
            for i in range(p.size):
                m[i], v[i] = adam.moments_element(g[i], m[i], v[i], c)
                u[i] = lamb.lamb_direction_element(p[i], m[i], v[i], c)
                p_sq += float(p[i]) * float(p[i])
                u_sq += float(u[i]) * float(u[i])
            norms[r, 0] = p_sq
            norms[r, 1] = u_sq
    n_tensors = p_addr.size
    sums = np.zeros((n_tensors, 2))
    for r in range(n_rows):
        sums[rows[r, 0], 0] += norms[r, 0]
        sums[rows[r, 0], 1] += norms[r, 1]
    step = np.empty(n_tensors, coefs.dtype)
    for t in range(n_tensors):
        # the sums are float64 here, so the clip, zero and one are float64 too
        c = read_lamb(wide, t)
        trust_ratio[t] = lamb.trust_ratio_element(sums[t, 0], sums[t, 1], c,
                                                  0.0, 1.0, has_clip, adapt)
        step[t] = c.lr * trust_ratio[t]
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, p, g, start, end = piece(r, rows, p_addr, g_addr, offsets, coefs)
            u = update[start:end]
            lr_ratio = step[t]
            for i in range(p.size):
                p[i] = lamb.lamb_apply_element(p[i], u[i], lr_ratio)


KERNELS = {"sgd": sgd_kernel, "momentum": momentum_kernel,
           "adagrad": adagrad_kernel, "rmsprop": rmsprop_kernel,
           "adam": adam_kernel, "adamw": adamw_kernel, "lamb": lamb_kernel}
