"""Floor kernels: the cheapest possible "optimizer step" for each traffic class.

An optimizer step is memory-bound, so the best it can do is stream its bytes
at the machine's bandwidth. Each floor kernel reads and writes exactly the
arrays a rule reads and writes, with trivial arithmetic, compiled the way the
real kernels are (``@njit``, ``parallel=True`` + ``prange``, NumPy's error
model) and run on the same threads. A rule's step time divided by its floor
says how much time the rule's math (or its bookkeeping) costs on top of the
unavoidable memory traffic. Bytes per float32 element:

- 12: read p, g; write p (plain SGD)
- 20: read p, g, s; write p, s (Momentum, AdaGrad, RMSProp, SGD + momentum)
- 28: read p, g, m, v; write p, m, v (Adam, AdamW)
- 40: LAMB needs the norm of the whole update before it may write p, so on a
  tensor too big for the cache it is two passes: 24 bytes (read p, g, m, v;
  write m, v; accumulate ||p||^2 and ||u||^2), then 16 (read p, m, v; write
  p). minigrad's kernel moves the same 40 in another split: it keeps u in a
  scratch array (pass 1: 28 bytes, pass 2: read p, u; write p: 12).
"""
import numpy as np

_KERNELS = {}


def _compile():
    """Compile (or load from the cache) on first use: numba is slow to import."""
    if _KERNELS:
        return _KERNELS
    from numba import njit, prange

    jit = njit(parallel=True, error_model="numpy", cache=True)

    @jit
    def floor12(p, g, c):
        for i in prange(p.size):
            p[i] = p[i] - c * g[i]

    @jit
    def floor20(p, g, s, c):
        for i in prange(p.size):
            gi = g[i]
            s[i] = s[i] + gi
            p[i] = p[i] - c * gi

    @jit
    def floor28(p, g, m, v, c):
        for i in prange(p.size):
            gi = g[i]
            m[i] = m[i] + gi
            v[i] = v[i] + gi
            p[i] = p[i] - c * gi

    @jit
    def floor40(p, g, m, v, c):
        p_sq = 0.0
        u_sq = 0.0
        for i in prange(p.size):  # pass 1: 24 bytes, two reductions
            gi = g[i]
            mi = m[i] + gi
            vi = v[i] + gi
            m[i] = mi
            v[i] = vi
            p_sq += p[i] * p[i]
            u_sq += mi * vi
        ratio = c * (p_sq + 1.0) / (u_sq + 1.0)
        for i in prange(p.size):  # pass 2: 16 bytes
            p[i] = p[i] - ratio * (m[i] + v[i])

    @jit
    def floor12_many(ps, gs, offsets, c):
        for t in prange(offsets.size):
            p, g = ps[t], gs[t]
            for i in range(p.size):
                p[i] = p[i] - c * g[i]

    @jit
    def floor20_many(ps, gs, offsets, s, c):
        for t in prange(offsets.size):
            p, g = ps[t], gs[t]
            s_t = s[offsets[t]:offsets[t] + p.size]
            for i in range(p.size):
                gi = g[i]
                s_t[i] = s_t[i] + gi
                p[i] = p[i] - c * gi

    @jit
    def floor28_many(ps, gs, offsets, m, v, c):
        for t in prange(offsets.size):
            p, g = ps[t], gs[t]
            m_t = m[offsets[t]:offsets[t] + p.size]
            v_t = v[offsets[t]:offsets[t] + p.size]
            for i in range(p.size):
                gi = g[i]
                m_t[i] = m_t[i] + gi
                v_t[i] = v_t[i] + gi
                p[i] = p[i] - c * gi

    _KERNELS.update({12: floor12, 20: floor20, 28: floor28, 40: floor40,
                     "12 many": floor12_many, "20 many": floor20_many,
                     "28 many": floor28_many})
    return _KERNELS


# bytes per element -> names of the state arrays besides p and g
STATE = {12: (), 20: ("s",), 28: ("m", "v"), 40: ("m", "v")}


def make_floor(bytes_per_element, n, dtype=np.float32, seed=0):
    """A zero-argument callable running the floor kernel on fresh n-arrays."""
    kernel = _compile()[bytes_per_element]
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(n, dtype=np.float32).astype(dtype, copy=False)
    g = rng.standard_normal(n, dtype=np.float32).astype(dtype, copy=False)
    state = [np.zeros(n, dtype) for _ in STATE[bytes_per_element]]
    c = dtype(1e-7)

    def step():
        kernel(p, g, *state, c)

    step()  # compile / load from the cache outside the timed region
    return step


def make_floor_many(bytes_per_element, k, each, dtype=np.float32, seed=0):
    """The floor of the many-tensors layout: ``k`` separate parameter and
    gradient arrays of ``each`` elements (as a model has them), the state in
    one flat array (as minigrad keeps it); one tensor per prange iteration."""
    from numba.typed import List

    kernel = _compile()[f"{bytes_per_element} many"]
    rng = np.random.default_rng(seed)
    ps, gs = List(), List()
    for _ in range(k):
        ps.append(rng.standard_normal(each, dtype=np.float32).astype(dtype))
    for _ in range(k):
        gs.append(rng.standard_normal(each, dtype=np.float32).astype(dtype))
    offsets = np.arange(k, dtype=np.int64) * each
    state = [np.zeros(k * each, dtype) for _ in STATE[bytes_per_element]]
    c = dtype(1e-7)

    def step():
        kernel(ps, gs, offsets, *state, c)

    step()
    return step
