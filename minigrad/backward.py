"""The backward pass: ``Tensor.backward`` and ``mg.grad``.

Both walk the graph from the outputs in reverse topological order (each
Function after every consumer of its output has handed back its gradient;
found with an explicit stack, so a 10^5-op chain cannot hit Python's
recursion limit) and apply the chain rule once per op. ``backward`` adds
the results into the leaves' ``.grad``; ``grad`` returns them for the
tensors asked for and touches no ``.grad``.

With ``create_graph=True`` the gradients are Tensors and every op's
backward runs on Tensors (see ``autograd``: the same backward code), so the
backward pass is itself a graph that can be differentiated again.
"""
import sys

import numpy as np

from . import autograd
from .autograd import AnomalyError, _check_backward, _describe_bad, enable_grad
from .tensor import Tensor, _inplace_writes


_EXPANDED = object()  # on the stack above a Function whose inputs are pushed


def _topological_order(root_fns):
    """Functions reachable from ``root_fns``, each before the ones it consumes.

    Depth-first search with an explicit stack (no recursion): a Function is
    appended after everything it depends on, so reversing the list puts each
    Function before its inputs' creators. A Function is pushed again under
    a marker when its inputs are pushed; reaching the marker means they are
    all done.
    """
    if isinstance(root_fns, autograd.Function):
        root_fns = [root_fns]
    order, seen = [], set()
    stack = list(reversed(root_fns))
    push, pop = stack.append, stack.pop
    while stack:
        fn = pop()
        if fn is _EXPANDED:
            order.append(pop())
            continue
        if fn in seen:
            continue
        if fn.freed:
            raise RuntimeError(
                f"trying to backward through the graph a second time (op "
                f"'{fn.label}' was freed by the first backward). Pass "
                f"retain_graph=True to the first backward() to do this."
            )
        seen.add(fn)
        push(fn)
        push(_EXPANDED)
        for t in fn.inputs:
            creator = t.creator
            if creator is not None and creator not in seen:
                push(creator)
    order.reverse()
    return order


def _root_grad(root, grad, create_graph):
    """Check the ``grad`` passed to backward (or make the implicit 1); a
    Tensor when the backward is recorded (a Tensor ``grad`` keeps its graph)."""
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {root.shape} needs "
                f"grad=<array of shape {root.shape}> (dL/d(this tensor)); grad "
                f"may be omitted only for a single-element tensor such as a loss"
            )
        grad = np.ones_like(root.data)
    if create_graph and isinstance(grad, Tensor):
        if grad.shape != root.shape:
            raise ValueError(f"grad has shape {grad.shape} but the tensor has "
                             f"shape {root.shape}; they must match")
        return grad
    if isinstance(grad, Tensor):
        grad = grad.data
    grad = np.asarray(grad)
    if grad.dtype.kind not in "fiub":
        raise TypeError(f"grad must hold numbers, got dtype {grad.dtype}")
    if grad.shape != root.shape:
        raise ValueError(
            f"grad has shape {grad.shape} but the tensor has shape {root.shape}; "
            f"they must match"
        )
    grad = grad.astype(root.data.dtype, copy=False)
    return Tensor._wrap(grad) if create_graph else grad


def _check_grad(fn, t, gx, create_graph):
    """``gx`` as an array (a Tensor when recording) of ``t``'s shape, or an
    error naming the op class whose backward got it wrong (often a user's)."""
    if create_graph:
        gx = gx if isinstance(gx, Tensor) else Tensor._wrap(np.asarray(gx))
    else:
        gx = np.asarray(gx)
    if gx.shape != t.data.shape:
        i = next(i for i, u in enumerate(fn.inputs) if u is t)
        raise RuntimeError(
            f"{type(fn).__name__}.backward (op '{fn.label}') returned a "
            f"gradient of shape {gx.shape} for its input {i}, which has shape "
            f"{t.data.shape}; expected a gradient of shape {t.data.shape}"
        )
    return gx


def _check_count(fn, gxs):
    if len(gxs) != len(fn.inputs):
        raise RuntimeError(
            f"{type(fn).__name__}.backward (op '{fn.label}') returned "
            f"{len(gxs)} gradients for {len(fn.inputs)} inputs; expected one "
            f"per input (None for an input without gradient)"
        )


def _check_versions(fn):
    """Refuse to run ``fn.backward`` on inputs written in place since the
    forward (an optimizer step between two backward calls): it would
    silently differentiate at the new values."""
    for i, t in enumerate(fn.inputs):
        counter = t._version_counter
        if counter is not None and counter[1] > fn.writes_seen:
            name = f"'{t.name}', " if t.name else ""
            raise RuntimeError(
                f"a tensor op '{fn.label}' ({type(fn).__name__}) needs for its "
                f"gradient was modified by an inplace operation: its input {i} "
                f"({name}shape {t.data.shape}) is now at version {t._version}, "
                f"written after the op ran. Run the forward again after "
                f"changing it (e.g. after opt.step())."
            )


def _record_args(fn):
    """Hand ``fn.backward`` Tensors instead of arrays, so that its arithmetic
    is recorded: the inputs themselves, and for the output a Tensor of the
    forward's value whose creator is ``fn`` (its gradient flows back into
    ``fn`` like the real output's). Returns what to restore afterwards."""
    if not fn.differentiable_backward:
        raise RuntimeError(
            f"op '{fn.label}' ({type(fn).__name__}) has a first-order backward "
            f"only, so create_graph=True cannot differentiate through it; "
            f"write its backward with self.args/self.out (see "
            f"docs/autograd.md) and set differentiable_backward = True")
    saved = fn.args, fn.out
    out = Tensor._wrap(fn.out)
    out.creator, out.requires_grad = fn, True
    fn.args, fn.out = fn.inputs, out
    return saved


def _backpropagate(roots, root_grads, create_graph, wanted=()):
    """The chain rule over the graph of ``roots``, once per op.

    Returns ``{tensor: gradient}`` for every leaf that requires grad, every
    tensor that called ``retain_grad`` and every tensor in ``wanted``, and
    the ops in the order they ran. Nothing is written here, so an error
    (e.g. an AnomalyError) leaves every ``.grad`` as it was.
    """
    grads, found = {}, {}  # Function -> dL/d(its output); tensor -> dL/d(it)
    for root, g in zip(roots, root_grads):
        if root.creator is None:  # backward on a leaf: d(leaf)/d(leaf) = 1
            found[root] = g if root not in found else found[root] + g
        else:
            previous = grads.get(root.creator)
            grads[root.creator] = g if previous is None else previous + g
    order = _topological_order([r.creator for r in roots if r.creator])
    wanted_outputs = {t.creator: t for t in wanted if t.creator is not None}
    grad_type = Tensor if create_graph else np.ndarray
    anomaly, writes_now = autograd._anomaly_enabled, _inplace_writes[0]
    pop, get = grads.pop, grads.get
    for fn in order:
        gy = pop(fn, None)
        if gy is None:
            continue
        if wanted_outputs or fn.retained_output is not None:
            _note_output(fn, gy, found, wanted_outputs)
        if fn.writes_seen != writes_now and fn.saves_inputs:
            _check_versions(fn)
        if create_graph:
            saved = _record_args(fn)
            try:
                gxs = fn.backward(gy)
            finally:
                fn.args, fn.out = saved
        else:
            gxs = fn.backward(gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        trusted = fn.trusted_shapes
        if not trusted and len(gxs) != len(fn.inputs):
            _check_count(fn, gxs)
        if anomaly:
            _check_backward(fn, gy, gxs)
        for t, gx in zip(fn.inputs, gxs):
            if gx is None or not t.requires_grad:
                continue
            creator = t.creator
            if creator is not None:  # an op's output: on to its creator
                if not trusted and (type(gx) is not grad_type
                                    or gx.shape != t.data.shape):
                    gx = _check_grad(fn, t, gx, create_graph)
                # out of place: gx may be the very array another op returned
                previous = get(creator)
                grads[creator] = gx if previous is None else previous + gx
            else:  # a leaf: every gradient that reaches one is checked
                if type(gx) is not grad_type or gx.shape != t.data.shape:
                    gx = _check_grad(fn, t, gx, create_graph)
                previous = found.get(t)
                found[t] = gx if previous is None else previous + gx
    return found, order


def _note_output(fn, gy, found, wanted_outputs):
    """Record dL/d(output of ``fn``) for a tensor that retains its grad or
    that ``grad()`` asked for."""
    if fn.retained_output is not None:
        retained = fn.retained_output()
        if retained is not None:
            found[retained] = gy
    if wanted_outputs and fn in wanted_outputs:
        found[wanted_outputs[fn]] = gy


def _store_leaf_grads(found, create_graph):
    for t, g in found.items():
        if create_graph:  # .grad stays an array; the Tensor keeps the graph
            previous = t.grad_tensor
            if previous is None and t.grad is not None:
                previous = Tensor._wrap(t.grad.copy())
            t.grad_tensor = g if previous is None else previous + g
            g = g.data
        else:
            t.grad_tensor = None  # no longer the whole gradient
        if t.grad is None:
            # the tensor gets a C-ordered array of its own: g itself when
            # nothing else holds it (usually: a fresh matmul or sum), else a
            # copy (g may be shared, or a transposed view)
            counts = _counts(g)  # (a Tensor's data under create_graph: shared)
            take = not create_graph and _unshared(g, t.data.dtype, counts)
            t.grad = g if take else np.array(g, dtype=t.data.dtype, order="C")
        else:
            # in place, so a grad array held elsewhere keeps its identity
            t.grad += g


_getrefcount = getattr(sys, "getrefcount", None)  # CPython's; else never take


def _counts(g):
    """How many references ``g`` and (for a view) the array it views have,
    as seen from ``_store_leaf_grads`` (the call must stay a statement of
    its own there: an argument being built for another call adds one)."""
    if _getrefcount is None:
        return 1 << 62, 1 << 62
    base = g.base if type(g) is np.ndarray else None
    return _getrefcount(g), (0 if base is None else _getrefcount(base))


def _calibrate():
    """``_counts`` of a view that only the gradient table holds, taken the
    way ``_store_leaf_grads`` takes it: measured, not assumed, so another
    interpreter's counting cannot make a shared array look free."""
    owner = np.empty(4)
    found = {None: owner.reshape(2, 2)}
    del owner
    for _, g in found.items():
        counts = _counts(g)
        return counts


def _unshared(g, dtype, counts):
    """True when ``g`` can become a leaf's ``.grad`` as it is: a writeable
    C-ordered array of the leaf's dtype that nothing but the gradient table
    refers to (if it is a view: of a whole array that nothing else holds).
    Taking it saves a copy of every weight gradient per step (7.5 MB and
    its page faults for a 784-1024-1024-10 MLP: ~1 ms of a 16 ms step)."""
    if (type(g) is not np.ndarray or g.dtype != dtype
            or not g.flags.c_contiguous or not g.flags.writeable
            or counts[0] > _FREE[0]):
        return False
    base = g.base
    if base is None:
        return True
    return (type(base) is np.ndarray and base.base is None
            and base.nbytes == g.nbytes and counts[1] <= _FREE[1])


_FREE = _calibrate()


def _check_root_finite(g):
    values = g.data if isinstance(g, Tensor) else g
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise AnomalyError(
            f"the gradient passed to backward() is not finite: "
            f"{_describe_bad(values)}",
            phase="backward",
        )


def run_backward(root, grad=None, retain_graph=None, create_graph=False):
    """Accumulate d(root)/d(leaf) * grad into every leaf's ``.grad``.

    ``retain_graph`` defaults to ``create_graph`` (as in PyTorch: a recorded
    backward is usually differentiated again, through the same ops).
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward() called on a tensor that does not require grad: it was "
            "not computed from a tensor with requires_grad=True, or it was "
            "computed under no_grad()"
        )
    grad = _root_grad(root, grad, create_graph)
    if autograd._anomaly_enabled:
        _check_root_finite(grad)
    with enable_grad() if create_graph else autograd.no_grad():
        found, order = _backpropagate([root], [grad], create_graph)
    found = {t: g for t, g in found.items() if t.is_leaf or t.retains_grad}
    _store_leaf_grads(found, create_graph)
    if not (create_graph if retain_graph is None else retain_graph):
        for fn in order:
            fn.release()


def _as_tuple(value, what):
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(t, Tensor)
                                                for t in value):
        return tuple(value)
    raise TypeError(f"grad: {what} must be a Tensor or a sequence of Tensors, "
                    f"got {type(value).__name__}")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None,
         create_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as Tensors.

    sum_k grad_outputs[k] * d outputs[k] / d inputs[i] for each input, like
    ``torch.autograd.grad``: ``.grad`` attributes are left alone; each
    ``grad_outputs[k]`` may be None for a single-element output (then 1).
    With ``create_graph=True`` the results carry their own graph, so they
    can be differentiated again (``retain_graph`` then defaults to True).
    An input the outputs do not depend on raises, unless ``allow_unused``:
    its gradient is then None.
    """
    outputs = _as_tuple(outputs, "outputs")
    inputs = _as_tuple(inputs, "inputs")
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None \
            else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for "
                         f"{len(outputs)} outputs; give one per output")
    for t in outputs + inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the differentiated Tensors does "
                               "not require grad")
    roots = [_root_grad(t, g, create_graph) for t, g in zip(outputs, grad_outputs)]
    with enable_grad() if create_graph else autograd.no_grad():
        found, order = _backpropagate(outputs, roots, create_graph, inputs)
    results = []
    for t in inputs:
        g = found.get(t)
        if g is None and not allow_unused:
            raise RuntimeError(
                "grad: one of the differentiated Tensors appears to not have "
                "been used in the graph. Set allow_unused=True if this is the "
                "desired behavior.")
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._wrap(np.array(g, dtype=t.data.dtype))
        results.append(g)
    if not (create_graph if retain_graph is None else retain_graph):
        for fn in order:
            fn.release()
    return tuple(results)
