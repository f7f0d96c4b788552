"""CUDA kernels: the same per-element math as the CPU (``_math.py``), launched
once per bucket (LAMB: a reduction kernel, then the update).

Layout of one step (see ``docs/kernels.md``):

* the optimizer state stays on the device between steps (``bucket.device``),
  and is copied back only when someone reads it (``state_dict``, ``state``);
* the host packs the active parameters, their gradients and the per-tensor
  coefficients into ONE staging buffer ``[params | grads | coefs | norms]``,
  sends it up in one transfer, and after the kernel brings the updated
  parameters back in one transfer;
* ``rows`` (``(tensor, start, end)`` pieces of at most ``PIECE`` elements),
  ``starts`` (where each tensor sits in the staged params/grads) and
  ``offsets`` (where its state sits) are uploaded once per set of active
  tensors. Block ``b`` takes rows ``b, b + gridDim, ...`` (grid stride) and
  its threads stride through the row.

Every coefficient arrives in the parameter dtype and options arrive as
integers, so the float32 kernels contain no float64 arithmetic (checked on the
PTX by ``tests/test_optim_ptx.py``).
"""
import numpy as np
from numba import config, cuda, types

from . import _math

SIMULATOR = bool(config.ENABLE_CUDASIM)
# The simulator runs one Python thread per CUDA thread: keep it small there.
THREADS = 8 if SIMULATOR else 256
PIECE = THREADS * (4 if SIMULATOR else 16)
MAX_BLOCKS = 2 if SIMULATOR else 4096


def _sgd(rows, params, grads, starts, offsets, coefs, has_weight_decay,
         has_momentum, nesterov, momentum_buffer):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        lr, wd, mu, damp = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
        first = coefs[t, 4] != coefs[t, 5]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            if has_momentum:
                params[s + i], momentum_buffer[o + i] = _math.sgd(
                    params[s + i], grads[s + i], momentum_buffer[o + i], lr, wd,
                    mu, damp, has_weight_decay, 1, first, nesterov)
            else:
                params[s + i], _ = _math.sgd(
                    params[s + i], grads[s + i], grads[s + i], lr, wd, mu, damp,
                    has_weight_decay, 0, first, 0)


def _momentum(rows, params, grads, starts, offsets, coefs, has_weight_decay,
              velocity):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        lr, wd, beta, omb = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            params[s + i], velocity[o + i] = _math.momentum(
                params[s + i], grads[s + i], velocity[o + i], lr, wd, beta, omb,
                has_weight_decay)


def _adagrad(rows, params, grads, starts, offsets, coefs, has_weight_decay,
             state_sum):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        clr, wd, eps = coefs[t, 0], coefs[t, 1], coefs[t, 2]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            params[s + i], state_sum[o + i] = _math.adagrad(
                params[s + i], grads[s + i], state_sum[o + i], clr, wd, eps,
                has_weight_decay)


def _rmsprop(rows, params, grads, starts, offsets, coefs, has_weight_decay,
             centered, has_momentum, square_avg, grad_avg, momentum_buffer):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        lr, wd, alpha, oma = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
        eps, mu = coefs[t, 4], coefs[t, 5]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            v = square_avg[j]
            gbar = grad_avg[j] if centered else v
            b = momentum_buffer[j] if has_momentum else v
            params[s + i], square_avg[j], gbar, b = _math.rmsprop(
                params[s + i], grads[s + i], v, gbar, b, lr, wd, alpha, oma,
                eps, mu, has_weight_decay, centered, has_momentum)
            if centered:
                grad_avg[j] = gbar
            if has_momentum:
                momentum_buffer[j] = b


def _adam(rows, params, grads, starts, offsets, coefs, has_weight_decay,
          amsgrad, exp_avg, exp_avg_sq, max_exp_avg_sq):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        step_size, wd, b1, omb1 = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
        b2, omb2, eps, sbc2 = coefs[t, 4], coefs[t, 5], coefs[t, 6], coefs[t, 7]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            v_max = max_exp_avg_sq[j] if amsgrad else exp_avg_sq[j]
            params[s + i], exp_avg[j], exp_avg_sq[j], v_max = _math.adam(
                params[s + i], grads[s + i], exp_avg[j], exp_avg_sq[j], v_max,
                step_size, wd, b1, omb1, b2, omb2, eps, sbc2, has_weight_decay,
                amsgrad)
            if amsgrad:
                max_exp_avg_sq[j] = v_max


def _adamw(rows, params, grads, starts, offsets, coefs, amsgrad, exp_avg,
           exp_avg_sq, max_exp_avg_sq):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        decay, step_size, b1, omb1 = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
        b2, omb2, eps, sbc2 = coefs[t, 4], coefs[t, 5], coefs[t, 6], coefs[t, 7]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            v_max = max_exp_avg_sq[j] if amsgrad else exp_avg_sq[j]
            params[s + i], exp_avg[j], exp_avg_sq[j], v_max = _math.adamw(
                params[s + i], grads[s + i], exp_avg[j], exp_avg_sq[j], v_max,
                decay, step_size, b1, omb1, b2, omb2, eps, sbc2, amsgrad)
            if amsgrad:
                max_exp_avg_sq[j] = v_max


def _lamb_moments(rows, params, grads, starts, offsets, coefs, exp_avg,
                  exp_avg_sq, norms):
    """LAMB pass 1: moments, and the reduction of ``||p||^2`` and ``||u||^2``
    per tensor into ``norms[2t]``, ``norms[2t + 1]`` (zeroed by the host):
    each thread sums its elements of a row, then adds its partial sums
    atomically (one atomic per thread and row, not per element)."""
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        b1, omb1, b2, omb2 = coefs[t, 0], coefs[t, 1], coefs[t, 2], coefs[t, 3]
        bc1, bc2, eps, wd = coefs[t, 4], coefs[t, 5], coefs[t, 6], coefs[t, 7]
        p_sq = coefs[t, 9]  # zero, in the parameter dtype
        u_sq = coefs[t, 9]
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            m, v = _math.adam_moments(grads[s + i], exp_avg[j], exp_avg_sq[j],
                                      b1, omb1, b2, omb2)
            exp_avg[j] = m
            exp_avg_sq[j] = v
            p = params[s + i]
            u = _math.lamb_direction(p, m, v, bc1, bc2, eps, wd)
            p_sq += p * p
            u_sq += u * u
        cuda.atomic.add(norms, 2 * t, p_sq)
        cuda.atomic.add(norms, 2 * t + 1, u_sq)


def _lamb_apply(rows, params, starts, offsets, coefs, exp_avg, exp_avg_sq,
                norms):
    """LAMB pass 2: ``p -= lr * r * u`` with ``r = ||p|| / ||u||`` (or 1)."""
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        bc1, bc2, eps, wd = coefs[t, 4], coefs[t, 5], coefs[t, 6], coefs[t, 7]
        lr, zero, one = coefs[t, 8], coefs[t, 9], coefs[t, 10]
        lr_ratio = lr * _math.trust_ratio(norms[2 * t], norms[2 * t + 1], zero,
                                          one)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            u = _math.lamb_direction(params[s + i], exp_avg[j], exp_avg_sq[j],
                                     bc1, bc2, eps, wd)
            params[s + i] = _math.lamb_apply(params[s + i], u, lr_ratio)


PY_KERNELS = {"sgd": _sgd, "momentum": _momentum, "adagrad": _adagrad,
              "rmsprop": _rmsprop, "adam": _adam, "adamw": _adamw,
              "lamb_moments": _lamb_moments, "lamb_apply": _lamb_apply}
KERNELS = {name: cuda.jit(fn) for name, fn in PY_KERNELS.items()}


def step(opt, group, bucket, batch):
    """One step of one bucket on the device; returns the number of launches."""
    active = list(batch.active)
    sizes = bucket.sizes[active]
    n = int(sizes.sum())
    if n == 0:
        return 0
    starts = np.cumsum(sizes) - sizes
    coefs = opt._coefficient_table(group, opt._steps(bucket, active),
                                   bucket.dtype)
    lamb = opt.kernel == "lamb"
    stage = np.empty(2 * n + coefs.size + (2 * len(active) if lamb else 0),
                     bucket.dtype)
    stage[2 * n + coefs.size:] = 0  # LAMB's norm sums start at zero
    for start, size, data, grad in zip(starts, sizes, batch.datas, batch.grads):
        stage[start:start + size] = data.reshape(-1)
        stage[n + start:n + start + size] = grad.reshape(-1)
    stage[2 * n:2 * n + coefs.size] = coefs.reshape(-1)
    state = _device_state(bucket, opt.buffer_names, opt._buffers(group))
    rows, d_starts, d_offsets = _tables(bucket, batch.active, starts)
    d_stage = getattr(bucket, "device_stage", None)
    if d_stage is None or d_stage.shape != stage.shape:
        d_stage = bucket.device_stage = cuda.device_array_like(stage)
    d_stage.copy_to_device(stage)  # the one transfer up
    params, grads = d_stage[:n], d_stage[n:2 * n]
    d_coefs = d_stage[2 * n:2 * n + coefs.size].reshape(coefs.shape)
    blocks = max(1, min(rows.shape[0], MAX_BLOCKS))
    if lamb:
        norms = d_stage[2 * n + coefs.size:]
        KERNELS["lamb_moments"][blocks, THREADS](
            rows, params, grads, d_starts, d_offsets, d_coefs, *state, norms)
        KERNELS["lamb_apply"][blocks, THREADS](
            rows, params, d_starts, d_offsets, d_coefs, *state, norms)
        launches = 2
    else:
        KERNELS[opt.kernel][blocks, THREADS](
            rows, params, grads, d_starts, d_offsets, d_coefs,
            *opt._flags(group), *state)
        launches = 1
    host = stage[:n]
    params.copy_to_host(host)  # the one transfer down
    for start, size, data in zip(starts, sizes, batch.datas):
        data[...] = host[start:start + size].reshape(data.shape)
    bucket.device_dirty = True
    return launches


def _device_state(bucket, names, needed):
    """The bucket's state buffers on the device, in kernel argument order
    (an empty array stands for a buffer the options do not use)."""
    device = bucket.device
    if device is not None and set(device) != {None, *bucket.buffers}:
        pull_state(bucket)
        device = None
    if device is None:
        device = {name: cuda.to_device(buffer)
                  for name, buffer in bucket.buffers.items()}
        device[None] = cuda.device_array(1, bucket.dtype)  # an unused buffer
        bucket.device = device
        bucket.device_dirty = False
    return [device[name] if name in needed else device[None] for name in names]


def _tables(bucket, active, starts):
    cached = getattr(bucket, "device_tables", None)
    if cached is None or cached[0] != active:
        _, rows = bucket.rows(active, PIECE)
        offsets = bucket.offsets[list(active)]
        cached = (active, cuda.to_device(rows), cuda.to_device(starts),
                  cuda.to_device(offsets))
        bucket.device_tables = cached
    return cached[1:]


def pull_state(bucket):
    """Copy the device state back into the host buffers if it is newer."""
    if bucket.device is not None and getattr(bucket, "device_dirty", False):
        for name, array in bucket.device.items():
            if name is not None and name in bucket.buffers:
                array.copy_to_host(bucket.buffers[name])
        bucket.device_dirty = False


def ptx_kernels(dtype):
    """``(name, python function, argument types)`` of every kernel for one
    dtype, as the runtime calls them -- for compiling to PTX in tests."""
    f = types.float32 if np.dtype(dtype) == np.float32 else types.float64
    vec = types.Array(f, 1, "C")
    mat = types.Array(f, 2, "C")
    i64 = types.int64
    ints = types.Array(i64, 1, "C")
    head = (types.Array(i64, 2, "C"), vec, vec, ints, ints, mat)
    return [
        ("sgd", _sgd, head + (i64, i64, i64, vec)),
        ("momentum", _momentum, head + (i64, vec)),
        ("adagrad", _adagrad, head + (i64, vec)),
        ("rmsprop", _rmsprop, head + (i64, i64, i64, vec, vec, vec)),
        ("adam", _adam, head + (i64, i64, vec, vec, vec)),
        ("adamw", _adamw, head + (i64, vec, vec, vec)),
        ("lamb_moments", _lamb_moments, head + (vec, vec, vec)),
        ("lamb_apply", _lamb_apply, (head[0], vec, ints, ints, mat, vec, vec,
                                     vec)),
    ]
