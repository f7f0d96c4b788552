"""CPU kernels: one ``@njit`` call updates every tensor of a parameter bucket.

Every kernel has the same skeleton (see ``docs/kernels.md``):

* ``p_addr`` / ``g_addr`` hold the data addresses of the parameters' and
  gradients' own arrays (int64), so nothing is gathered or copied;
  ``_tensor`` turns an address back into an array inside the kernel;
* ``offsets[t]`` is where tensor ``t`` starts in the bucket's flat state
  buffers;
* ``rows`` is a host-built table of ``(tensor, start, end)`` pieces and
  ``work[w]:work[w+1]`` the rows of work item ``w``; the work items hold equal
  numbers of elements, and ``prange`` hands them to the threads;
* ``coefs[t]`` holds tensor ``t``'s step-dependent coefficients, computed on
  the host in the parameter dtype.

The innermost loops index slices from 0 (``x[i]`` for ``i in range(n)``);
indexing ``x[lo + i]`` stopped LLVM from vectorising them.
``error_model="numpy"`` lets ``x / 0`` give inf instead of raising, which is
also what makes the loops vectorise. Where an option decides which buffers a
loop writes (SGD's momentum, RMSProp's centered and momentum, Adam's amsgrad)
the kernel repeats the loop once per combination, each writing only its own
buffers: a conditional or aliased store stops LLVM from vectorising. The
repeated loops differ only in that; the math is the one ``_math`` call.
"""
import numpy as np
from numba import carray, njit, prange, types
from numba.core.extending import intrinsic, register_jitable

from . import _math

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


@njit(**_FLAGS)
def sgd(work, rows, p_addr, g_addr, offsets, coefs, has_weight_decay,
        has_momentum, nesterov, momentum_buffer):
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            lr, wd, mu, damp = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
            first = coefs[t, 4] != coefs[t, 5]  # step 1 (see SGD._coefficients)
            if has_momentum:
                b = momentum_buffer[offsets[t] + lo:offsets[t] + hi]
                for i in range(p.size):
                    p[i], b[i] = _math.sgd(p[i], g[i], b[i], lr, wd, mu, damp,
                                           has_weight_decay, 1, first, nesterov)
            else:
                for i in range(p.size):
                    p[i], _ = _math.sgd(p[i], g[i], g[i], lr, wd, mu, damp,
                                        has_weight_decay, 0, first, 0)


@njit(**_FLAGS)
def momentum(work, rows, p_addr, g_addr, offsets, coefs, has_weight_decay,
             velocity):
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            v = velocity[offsets[t] + lo:offsets[t] + hi]
            lr, wd, beta, one_minus_beta = (coefs[t, 0], coefs[t, 1],
                                            coefs[t, 2], coefs[t, 3])
            for i in range(p.size):
                p[i], v[i] = _math.momentum(p[i], g[i], v[i], lr, wd, beta,
                                            one_minus_beta, has_weight_decay)


@njit(**_FLAGS)
def adagrad(work, rows, p_addr, g_addr, offsets, coefs, has_weight_decay,
            state_sum):
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            s = state_sum[offsets[t] + lo:offsets[t] + hi]
            clr, wd, eps = coefs[t, 0], coefs[t, 1], coefs[t, 2]
            for i in range(p.size):
                p[i], s[i] = _math.adagrad(p[i], g[i], s[i], clr, wd, eps,
                                           has_weight_decay)


@njit(**_FLAGS)
def rmsprop(work, rows, p_addr, g_addr, offsets, coefs, has_weight_decay,
            centered, has_momentum, square_avg, grad_avg, momentum_buffer):
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            o = offsets[t]
            v = square_avg[o + lo:o + hi]
            c = coefs[t]
            lr, wd, alpha, one_minus_alpha, eps, mu = c[0], c[1], c[2], c[3], c[4], c[5]
            # one loop per combination of options, each writing only the
            # buffers it has: aliased or conditional stores stop LLVM from
            # vectorising (2x slower; benchmarks/, section 1)
            if centered and has_momentum:
                gbar = grad_avg[o + lo:o + hi]
                b = momentum_buffer[o + lo:o + hi]
                for i in range(p.size):
                    p[i], v[i], gbar[i], b[i] = _math.rmsprop(
                        p[i], g[i], v[i], gbar[i], b[i], lr, wd, alpha,
                        one_minus_alpha, eps, mu, has_weight_decay, 1, 1)
            elif centered:
                gbar = grad_avg[o + lo:o + hi]
                for i in range(p.size):
                    p[i], v[i], gbar[i], _ = _math.rmsprop(
                        p[i], g[i], v[i], gbar[i], v[i], lr, wd, alpha,
                        one_minus_alpha, eps, mu, has_weight_decay, 1, 0)
            elif has_momentum:
                b = momentum_buffer[o + lo:o + hi]
                for i in range(p.size):
                    p[i], v[i], _, b[i] = _math.rmsprop(
                        p[i], g[i], v[i], v[i], b[i], lr, wd, alpha,
                        one_minus_alpha, eps, mu, has_weight_decay, 0, 1)
            else:
                for i in range(p.size):
                    p[i], v[i], _, _ = _math.rmsprop(
                        p[i], g[i], v[i], v[i], v[i], lr, wd, alpha,
                        one_minus_alpha, eps, mu, has_weight_decay, 0, 0)


@njit(**_FLAGS)
def adam(work, rows, p_addr, g_addr, offsets, coefs, has_weight_decay, amsgrad,
         exp_avg, exp_avg_sq, max_exp_avg_sq):
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            o = offsets[t]
            m = exp_avg[o + lo:o + hi]
            v = exp_avg_sq[o + lo:o + hi]
            c = coefs[t]
            step_size, wd, b1, omb1, b2, omb2, eps, sbc2 = (
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
            if amsgrad:
                vmax = max_exp_avg_sq[o + lo:o + hi]
                for i in range(p.size):
                    p[i], m[i], v[i], vmax[i] = _math.adam(
                        p[i], g[i], m[i], v[i], vmax[i], step_size, wd, b1,
                        omb1, b2, omb2, eps, sbc2, has_weight_decay, 1)
            else:
                for i in range(p.size):
                    p[i], m[i], v[i], _ = _math.adam(
                        p[i], g[i], m[i], v[i], v[i], step_size, wd, b1, omb1,
                        b2, omb2, eps, sbc2, has_weight_decay, 0)


@njit(**_FLAGS)
def adamw(work, rows, p_addr, g_addr, offsets, coefs, amsgrad, exp_avg,
          exp_avg_sq, max_exp_avg_sq):
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            o = offsets[t]
            m = exp_avg[o + lo:o + hi]
            v = exp_avg_sq[o + lo:o + hi]
            c = coefs[t]
            decay, step_size, b1, omb1, b2, omb2, eps, sbc2 = (
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
            if amsgrad:
                vmax = max_exp_avg_sq[o + lo:o + hi]
                for i in range(p.size):
                    p[i], m[i], v[i], vmax[i] = _math.adamw(
                        p[i], g[i], m[i], v[i], vmax[i], decay, step_size, b1,
                        omb1, b2, omb2, eps, sbc2, 1)
            else:
                for i in range(p.size):
                    p[i], m[i], v[i], _ = _math.adamw(
                        p[i], g[i], m[i], v[i], v[i], decay, step_size, b1,
                        omb1, b2, omb2, eps, sbc2, 0)


@njit(**_FLAGS, fastmath={"reassoc"})
def lamb(work, rows, p_addr, g_addr, offsets, coefs, lrs, exp_avg, exp_avg_sq,
         update):
    """Two passes in one call: (1) moments and the update ``u`` (kept in the
    scratch array ``update``), and the squared norms of p and u per row, in
    float64; per-tensor sums and trust ratios ``r = ||p|| / ||u||`` (1 if
    either is 0) between the passes; (2) ``p -= lr * r * u``.
    ``reassoc`` lets LLVM vectorise the norm sums (it may reorder them)."""
    n_rows = rows.shape[0]
    norms = np.zeros((n_rows, 2))
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            g = _tensor(g_addr[t], hi, coefs)[lo:hi]
            o = offsets[t]
            m = exp_avg[o + lo:o + hi]
            v = exp_avg_sq[o + lo:o + hi]
            u = update[o + lo:o + hi]
            c = coefs[t]
            b1, omb1, b2, omb2, bc1, bc2, eps, wd = (
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
            p_sq = 0.0
            u_sq = 0.0
            for i in range(p.size):
                m[i], v[i] = _math.adam_moments(g[i], m[i], v[i], b1, omb1, b2,
                                                omb2)
                u[i] = _math.lamb_direction(p[i], m[i], v[i], bc1, bc2, eps, wd)
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
        # the sums are float64 here, so zero and one are float64 too
        step[t] = lrs[t] * _math.trust_ratio(sums[t, 0], sums[t, 1], 0.0, 1.0)
    for w in prange(work.size - 1):
        for r in range(work[w], work[w + 1]):
            t, lo, hi = rows[r, 0], rows[r, 1], rows[r, 2]
            p = _tensor(p_addr[t], hi, coefs)[lo:hi]
            u = update[offsets[t] + lo:offsets[t] + hi]
            lr_ratio = step[t]
            for i in range(p.size):
                p[i] = _math.lamb_apply(p[i], u[i], lr_ratio)
