"""CUDA kernels: the same per-element math as the CPU (the rules' element
functions), launched once per bucket (LAMB: a reduction kernel, then the
update).

Layout of one step (see ``docs/kernels.md``):

* the optimizer state stays on the device between steps (``Device``, owned
  by the backend), and is copied back only when someone reads it
  (``state_dict``, ``state``);
* the host packs the active parameters, their gradients, the coefficient
  table and LAMB's norm and ratio slots into ONE staging buffer
  ``[params | ratios | grads | coefs | norms]``, sends it up in one
  transfer, and after the kernel brings the updated parameters (and LAMB's
  ratios) back in one transfer;
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

from .. import adagrad, adam, adamw, lamb, momentum, rmsprop, sgd
from .jit import (read_adagrad, read_adam, read_adamw, read_lamb,
                  read_momentum, read_rmsprop, read_sgd)

SIMULATOR = bool(config.ENABLE_CUDASIM)
# The simulator runs one Python thread per CUDA thread: keep it small there.
THREADS = 8 if SIMULATOR else 256
PIECE = THREADS * (4 if SIMULATOR else 16)
MAX_BLOCKS = 2 if SIMULATOR else 4096


def _sgd(rows, params, grads, starts, offsets, coefs, has_weight_decay,
         has_momentum, nesterov, momentum_buffer, steps):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_sgd(coefs, t)
        first = steps[t] == 1  # no buffer yet (see SGD._steps)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            if has_momentum:
                params[s + i], momentum_buffer[o + i] = sgd.sgd_element(
                    params[s + i], grads[s + i], momentum_buffer[o + i], c,
                    has_weight_decay, 1, first, nesterov)
            else:
                params[s + i], _ = sgd.sgd_element(
                    params[s + i], grads[s + i], grads[s + i], c,
                    has_weight_decay, 0, first, 0)


def _momentum(rows, params, grads, starts, offsets, coefs, has_weight_decay,
              velocity):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_momentum(coefs, t)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            params[s + i], velocity[o + i] = momentum.momentum_element(
                params[s + i], grads[s + i], velocity[o + i], c,
                has_weight_decay)


def _adagrad(rows, params, grads, starts, offsets, coefs, has_weight_decay,
             state_sum):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_adagrad(coefs, t)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            params[s + i], state_sum[o + i] = adagrad.adagrad_element(
                params[s + i], grads[s + i], state_sum[o + i], c,
                has_weight_decay)


def _rmsprop(rows, params, grads, starts, offsets, coefs, has_weight_decay,
             centered, has_momentum, square_avg, grad_avg, momentum_buffer):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_rmsprop(coefs, t)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            v = square_avg[j]
            gbar = grad_avg[j] if centered else v
            b = momentum_buffer[j] if has_momentum else v
            params[s + i], square_avg[j], gbar, b = rmsprop.rmsprop_element(
                params[s + i], grads[s + i], v, gbar, b, c, has_weight_decay,
                centered, has_momentum)
            if centered:
                grad_avg[j] = gbar
            if has_momentum:
                momentum_buffer[j] = b


def _adam(rows, params, grads, starts, offsets, coefs, has_weight_decay,
          amsgrad, exp_avg, exp_avg_sq, max_exp_avg_sq):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_adam(coefs, t)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            v_max = max_exp_avg_sq[j] if amsgrad else exp_avg_sq[j]
            params[s + i], exp_avg[j], exp_avg_sq[j], v_max = adam.adam_element(
                params[s + i], grads[s + i], exp_avg[j], exp_avg_sq[j], v_max,
                c, has_weight_decay, amsgrad)
            if amsgrad:
                max_exp_avg_sq[j] = v_max


def _adamw(rows, params, grads, starts, offsets, coefs, amsgrad, exp_avg,
           exp_avg_sq, max_exp_avg_sq):
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_adamw(coefs, t)
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            v_max = max_exp_avg_sq[j] if amsgrad else exp_avg_sq[j]
            params[s + i], exp_avg[j], exp_avg_sq[j], v_max = \
                adamw.adamw_element(params[s + i], grads[s + i], exp_avg[j],
                                    exp_avg_sq[j], v_max, c, amsgrad)
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
        c = read_lamb(coefs, t)
        p_sq = c.zero
        u_sq = c.zero
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            m, v = adam.moments_element(grads[s + i], exp_avg[j],
                                        exp_avg_sq[j], c)
            exp_avg[j] = m
            exp_avg_sq[j] = v
            p = params[s + i]
            u = lamb.lamb_direction_element(p, m, v, c)
            p_sq += p * p
            u_sq += u * u
        cuda.atomic.add(norms, 2 * t, p_sq)
        cuda.atomic.add(norms, 2 * t + 1, u_sq)


def _lamb_apply(rows, params, starts, offsets, coefs, has_clip, adapt, exp_avg,
                exp_avg_sq, norms, ratios):
    """LAMB pass 2: ``p -= lr * r * u`` with ``r = ||p|| / ||u||`` (or 1);
    every block on tensor ``t`` writes the same ``r`` to ``ratios[t]``."""
    for r in range(cuda.blockIdx.x, rows.shape[0], cuda.gridDim.x):
        t = rows[r, 0]
        s, o = starts[t], offsets[t]
        c = read_lamb(coefs, t)
        ratio = lamb.trust_ratio_element(norms[2 * t], norms[2 * t + 1], c,
                                         c.zero, c.one, has_clip, adapt)
        if cuda.threadIdx.x == 0:
            ratios[t] = ratio
        lr_ratio = c.lr * ratio
        for i in range(rows[r, 1] + cuda.threadIdx.x, rows[r, 2],
                       cuda.blockDim.x):
            j = o + i
            u = lamb.lamb_direction_element(params[s + i], exp_avg[j],
                                            exp_avg_sq[j], c)
            params[s + i] = lamb.lamb_apply_element(params[s + i], u, lr_ratio)


PY_KERNELS = {"sgd": _sgd, "momentum": _momentum, "adagrad": _adagrad,
              "rmsprop": _rmsprop, "adam": _adam, "adamw": _adamw,
              "lamb_moments": _lamb_moments, "lamb_apply": _lamb_apply}
KERNELS = {name: cuda.jit(fn) for name, fn in PY_KERNELS.items()}
# Only SGD reads step counts on the device (its first step: no buffer yet);
# every other rule's coefficients already carry t, so nothing else uploads them.
TAKES_STEPS = {"sgd"}


class Device:
    """One bucket's state on the device: the buffers (uploaded at the first
    step, or again after an option added one), whether they are newer than
    the host's, the staging buffer and the row tables."""

    def __init__(self, bucket):
        self.bucket = bucket
        self.buffers = None  # name -> device array; None -> an unused one
        self.dirty = False  # the device copy is newer than the host's
        self.stage = None
        self.tables = None  # (active, rows, starts, offsets)

    def state(self, names, used):
        """The state buffers in kernel argument order (a 1-element array for
        each one the options do not use)."""
        bucket = self.bucket
        if self.buffers is not None and set(self.buffers) != {
                None, *bucket.buffers}:
            self.pull()  # an option added a buffer: upload them all again
            self.buffers = None
        if self.buffers is None:
            self.buffers = {name: cuda.to_device(buffer)
                            for name, buffer in bucket.buffers.items()}
            self.buffers[None] = cuda.device_array(1, bucket.dtype)
            self.dirty = False
        return [self.buffers[name if name in used else None] for name in names]

    def pull(self):
        """Copy the device state back into the host buffers if it is newer."""
        if self.buffers is not None and self.dirty:
            for name, array in self.buffers.items():
                if name is not None and name in self.bucket.buffers:
                    array.copy_to_host(self.bucket.buffers[name])
            self.dirty = False

    def row_tables(self, active, starts):
        if self.tables is None or self.tables[0] != active:
            _, rows = self.bucket.rows(active, PIECE)
            offsets = self.bucket.offsets[list(active)]
            self.tables = (active, cuda.to_device(rows), cuda.to_device(starts),
                           cuda.to_device(offsets))
        return self.tables[1:]


def step(plan, bucket, batch, device):
    """One step of one bucket on the device; returns the number of launches."""
    active = list(batch.active)
    sizes = bucket.sizes[active]
    n = int(sizes.sum())
    if n == 0:
        return 0
    starts = np.cumsum(sizes) - sizes
    coefs = plan.coefficients
    lamb_rule = plan.kernel == "lamb"
    n_ratios = len(active) if lamb_rule else 0
    grads_at = n + n_ratios  # [params | ratios | grads | coefs | norms]
    coefs_at = grads_at + n
    norms_at = coefs_at + coefs.size
    stage = np.empty(norms_at + 2 * n_ratios, bucket.dtype)
    stage[norms_at:] = 0  # LAMB's norm sums start at zero
    for start, size, data, grad in zip(starts, sizes, batch.datas, batch.grads):
        stage[start:start + size] = data.reshape(-1)
        stage[grads_at + start:grads_at + start + size] = grad.reshape(-1)
    stage[coefs_at:norms_at] = coefs.reshape(-1)
    state = device.state(plan.buffer_names, plan.used)
    rows, d_starts, d_offsets = device.row_tables(batch.active, starts)
    if device.stage is None or device.stage.shape != stage.shape:
        device.stage = cuda.device_array_like(stage)
    d_stage = device.stage
    d_stage.copy_to_device(stage)  # the one transfer up
    params, grads = d_stage[:n], d_stage[grads_at:coefs_at]
    d_coefs = d_stage[coefs_at:norms_at].reshape(coefs.shape)
    blocks = max(1, min(rows.shape[0], MAX_BLOCKS))
    if lamb_rule:
        norms = d_stage[norms_at:]
        KERNELS["lamb_moments"][blocks, THREADS](
            rows, params, grads, d_starts, d_offsets, d_coefs, *state, norms)
        KERNELS["lamb_apply"][blocks, THREADS](
            rows, params, d_starts, d_offsets, d_coefs, *plan.flags, *state,
            norms, d_stage[n:grads_at])
        launches = 2
    else:
        steps = ((cuda.to_device(plan.steps),) if plan.kernel in TAKES_STEPS
                 else ())
        KERNELS[plan.kernel][blocks, THREADS](
            rows, params, grads, d_starts, d_offsets, d_coefs, *plan.flags,
            *state, *steps)
        launches = 1
    host = stage[:grads_at]
    d_stage[:grads_at].copy_to_host(host)  # the one transfer down
    for start, size, data in zip(starts, sizes, batch.datas):
        data[...] = host[start:start + size].reshape(data.shape)
    for values in plan.diagnostics:  # LAMB's trust ratios
        values[:] = host[n:grads_at]
    device.dirty = True
    return launches


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
        ("sgd", _sgd, head + (i64, i64, i64, vec, ints)),
        ("momentum", _momentum, head + (i64, vec)),
        ("adagrad", _adagrad, head + (i64, vec)),
        ("rmsprop", _rmsprop, head + (i64, i64, i64, vec, vec, vec)),
        ("adam", _adam, head + (i64, i64, vec, vec, vec)),
        ("adamw", _adamw, head + (i64, vec, vec, vec)),
        ("lamb_moments", _lamb_moments, head + (vec, vec, vec)),
        ("lamb_apply", _lamb_apply, (head[0], vec, ints, ints, mat, i64, i64,
                                     vec, vec, vec, vec)),
    ]
