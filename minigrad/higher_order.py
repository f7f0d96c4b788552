"""Derivatives of derivatives: Jacobians, Hessians, Hessian-vector products
and ``gradgradcheck``, built on ``mg.grad(..., create_graph=True)``.

The semantics are those of ``torch.autograd.functional``: ``f`` takes one
Tensor or a tuple of Tensors and the inputs are never modified (``f`` sees
fresh leaves holding the same values). Results are plain Tensors without a
graph unless ``create_graph=True``.

    >>> import numpy as np, minigrad as mg
    >>> f = lambda x: (x ** 3).sum()                 # Hessian: diag(6 x)
    >>> mg.hessian(f, mg.Tensor(np.array([1.0, 2.0]))).data
    array([[ 6.,  0.],
           [ 0., 12.]])
"""
import numpy as np

from .autograd import enable_grad
from .backward import grad
from .functions import concatenate, reshape
from .tensor import Tensor

__all__ = ["jacobian", "hessian", "hvp", "vhp", "gradgradcheck"]


def _fresh_inputs(inputs, create_graph):
    """(tuple of fresh leaves that require grad, whether a tuple was given)."""
    is_tuple = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if is_tuple else (inputs,)
    fresh = []
    for x in items:
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=float))
        if x.dtype.kind != "f":
            raise TypeError(f"inputs must be float tensors, got {x.dtype}")
        # with create_graph the result stays connected to the caller's graph
        t = x if create_graph and x.requires_grad else Tensor._wrap(x.data)
        t.requires_grad = True
        fresh.append(t)
    return tuple(fresh), is_tuple


def _outputs(value, what):
    is_tuple = isinstance(value, (tuple, list))
    items = tuple(value) if is_tuple else (value,)
    if not all(isinstance(t, Tensor) for t in items):
        raise TypeError(f"{what}: f must return a Tensor or a tuple of Tensors")
    return items, is_tuple


def _grads_or_zeros(outputs, inputs, grad_outputs, create_graph):
    gs = grad(outputs, inputs, grad_outputs, retain_graph=True,
              create_graph=create_graph, allow_unused=True)
    # an input the output does not depend on has derivative 0 (as torch)
    return tuple(Tensor._wrap(np.zeros_like(x.data)) if g is None else g
                 for g, x in zip(gs, inputs))


def _finish(t, create_graph):
    return t if create_graph else Tensor._wrap(t.data)


def jacobian(f, inputs, create_graph=False):
    """d f(inputs) / d inputs, one row of the Jacobian per output element.

    For one input x and one output y the result has shape
    ``y.shape + x.shape``; for tuples, a tuple over inputs (and a tuple of
    those over outputs), like ``torch.autograd.functional.jacobian``.
    Computed with one backward per output element (reverse mode).
    """
    xs, in_tuple = _fresh_inputs(inputs, create_graph)
    ys, out_tuple = _outputs(f(*xs), "jacobian")
    rows = []
    for y in ys:
        per_input = [[] for _ in xs]
        for k in range(y.size):
            e = np.zeros(y.shape, y.dtype)
            e.flat[k] = 1
            if not y.requires_grad:
                gs = tuple(Tensor._wrap(np.zeros_like(x.data)) for x in xs)
            else:
                gs = _grads_or_zeros([y], xs, [e], create_graph)
            for i, g in enumerate(gs):
                per_input[i].append(reshape(g, -1) if create_graph else g.data)
        blocks = []
        for x, parts in zip(xs, per_input):
            if create_graph:
                block = reshape(concatenate(parts), y.shape + x.shape)
            else:
                block = Tensor._wrap(np.stack(parts).reshape(y.shape + x.shape))
            blocks.append(block)
        rows.append(tuple(blocks) if in_tuple else blocks[0])
    return tuple(rows) if out_tuple else rows[0]


def _scalar_output(f, xs, what):
    y = f(*xs)
    if not isinstance(y, Tensor) or y.size != 1:
        raise RuntimeError(f"{what}: f must return a single-element Tensor, "
                           f"got {getattr(y, 'shape', type(y).__name__)}")
    return y


def hessian(f, inputs, create_graph=False):
    """The matrix of second derivatives of a scalar ``f`` (small inputs).

    For one input x the result has shape ``x.shape + x.shape``; for a tuple,
    ``H[i][j]`` is d^2 f / dx_i dx_j (``torch.autograd.functional.hessian``).
    The Jacobian of the gradient: one Hessian-vector product per element.
    """
    xs, in_tuple = _fresh_inputs(inputs, create_graph)

    def gradient(*ys):
        y = _scalar_output(f, ys, "hessian")
        if not y.requires_grad:
            return tuple(Tensor._wrap(np.zeros_like(x.data)) for x in ys)
        return _grads_or_zeros([y], ys, None, True)

    h = jacobian(gradient, xs, create_graph)
    return h if in_tuple else h[0][0]


def _vector_like(v, xs):
    vs = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if len(vs) != len(xs):
        raise ValueError(f"v has {len(vs)} parts for {len(xs)} inputs")
    out = []
    for vi, x in zip(vs, xs):
        vi = vi if isinstance(vi, Tensor) else Tensor._wrap(np.asarray(vi, x.dtype))
        if vi.shape != x.shape:
            raise ValueError(f"v has shape {vi.shape} where the input has "
                             f"shape {x.shape}")
        out.append(vi)
    return out


def vhp(f, inputs, v, create_graph=False):
    """(f(inputs), v^T H): a vector-Hessian product of a scalar f, by double
    backward (two backward passes, never the whole Hessian)."""
    xs, in_tuple = _fresh_inputs(inputs, create_graph)
    y = _scalar_output(f, xs, "vhp")
    vs = _vector_like(v, xs)
    if not y.requires_grad:
        out = tuple(Tensor._wrap(np.zeros_like(x.data)) for x in xs)
    else:
        gs = _grads_or_zeros([y], xs, None, True)
        used = [(g, vi) for g, vi in zip(gs, vs) if g.requires_grad]
        if not used:  # f is linear: its Hessian is 0
            out = tuple(Tensor._wrap(np.zeros_like(x.data)) for x in xs)
        else:
            out = _grads_or_zeros([g for g, _ in used], xs,
                                  [vi for _, vi in used], create_graph)
    out = tuple(_finish(o, create_graph) for o in out)
    return _finish(y, create_graph), out if in_tuple else out[0]


def hvp(f, inputs, v, create_graph=False):
    """(f(inputs), H v): a Hessian-vector product of a scalar f. H is
    symmetric for a twice continuously differentiable f, so this is vhp."""
    return vhp(f, inputs, v, create_graph)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5,
                  rtol=1e-3, raise_exception=True):
    """``gradcheck`` of the gradient: checks second derivatives.

    The gradient of L = sum(fn(inputs) * v) (v: ``grad_outputs``, random
    if None) with respect to ``inputs`` is computed with
    ``create_graph=True`` and handed to ``gradcheck`` as a function of the
    inputs, so its own backward (the second derivative) is compared with
    central differences, with gradcheck's failure report.
    """
    from .gradient_check import gradcheck

    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        with_out = fn(*inputs)
        rng = np.random.default_rng(0)
        grad_outputs = Tensor._wrap(rng.standard_normal(with_out.shape)
                                    .astype(with_out.dtype))
    elif not isinstance(grad_outputs, Tensor):
        grad_outputs = Tensor._wrap(np.asarray(grad_outputs))

    def first_derivatives(*xs):
        with enable_grad():  # gradcheck evaluates its differences in no_grad
            ys = [x for x in xs if x.requires_grad]
            y = fn(*xs)
            gs = _grads_or_zeros([y], ys, [grad_outputs], True) \
                if y.requires_grad else [Tensor._wrap(np.zeros_like(x.data))
                                         for x in ys]
            return concatenate([reshape(g, -1) for g in gs])

    return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
