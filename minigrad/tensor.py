"""The Tensor: a NumPy array plus what reverse-mode autodiff needs.

A Tensor holds ``data`` (an ndarray), ``grad`` (an ndarray or None), whether it
``requires_grad``, and ``creator``: the Function that computed it (None for a
leaf, i.e. a tensor the user made). Following ``creator.inputs`` backwards from
a result walks the whole computation graph; that is all ``backward`` needs.

Dtype rules:

* a NumPy float32/float64 array keeps its dtype;
* Python numbers and lists get ``mg.get_default_dtype()`` (float32 unless
  changed), even when they hold only ints -- like ``torch.tensor`` with a float
  default; pass a NumPy integer array for targets and indices;
* NumPy integer and bool arrays stay as they are and can never require grad;
* float16, complex, object and string data raise ``TypeError``: minigrad
  computes in float32/float64 only, and silently converting would hide a
  precision change from you.

``Tensor(data)`` copies ``data`` (like ``torch.tensor``), so later in-place
updates (an optimizer step) never change the array you passed in.

``_version`` counts the in-place writes made through minigrad (an optimizer
step, ``Module.load_state_dict``), shared between a tensor and its views;
``backward`` refuses to run an op whose backward reads an input written
since the op ran (PyTorch's "modified by an inplace operation"). Writing
into ``t.data`` yourself is not counted: that is your responsibility (bump
``t._version`` or recompute the forward).

The operators and op methods (``+``, ``@``, ``exp``, ``sum`` ...) are the ones in
``minigrad.functions``; see there for each op's math.
"""
import numpy as np

from . import config

_SUPPORTED_KINDS = "fiub"  # float, signed int, unsigned int, bool


def _check_dtype(dtype):
    """Return ``dtype`` if minigrad can compute with it, else raise TypeError."""
    if dtype.kind not in _SUPPORTED_KINDS or (
        dtype.kind == "f" and dtype.itemsize not in (4, 8)
    ):
        raise TypeError(
            f"minigrad tensors hold float32 or float64 data (or integer/bool "
            f"data without grad); got dtype {dtype}. Convert first, e.g. "
            f"array.astype(np.float32)"
        )
    return dtype


def _check_cast(source, dtype):
    """Refuse a conversion to ``dtype`` that would drop or invent values
    (complex -> real loses the imaginary part, NaN -> int makes up a number)."""
    if dtype is None or source.dtype == dtype:
        return
    if source.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"cannot convert {source.dtype} data to {np.dtype(dtype)}: "
                        "minigrad takes real numbers only")
    target = np.dtype(dtype)
    # compared as Python numbers: in float16, iinfo(int64).max rounds to inf
    if target.kind in "iu" and source.dtype.kind == "f" and source.size and not (
            np.iinfo(target).min <= float(source.min()) <= float(source.max())
            <= np.iinfo(target).max):  # also False for NaN
        raise ValueError(f"cannot convert NaN, infinity or values outside "
                         f"[{np.iinfo(target).min}, {np.iinfo(target).max}] to "
                         f"{target}")


# ---- the one seam: Tensor calls up into the layers above it --------------
# The engine is layered: tensor.py (this file) <- autograd.py (Function) <-
# ops_math.py / ops_shape.py (the ops) <- functions.py (mg.exp, ...) and
# backward.py. A Tensor's operators and backward() call up into functions.py
# (``x + y`` -> Tensor.__add__ -> functions.add -> Add()(x, y) ->
# Function.__call__), which imports this file, so it cannot be imported here
# at load time. ``_functions`` stands for that module: the first operator
# used imports it and puts the module itself in its place, so every later
# call is one plain attribute look-up. This is the engine's only upward
# reference.
class _Functions:
    def __getattr__(self, name):
        global _functions
        from . import functions

        _functions = functions
        return getattr(functions, name)


_functions = _Functions()
_new = object.__new__
# in-place writes so far, all tensors together: a backward whose op ran after
# the last write skips the per-input version check (the common case)
_inplace_writes = [0]


def _version_counters(tensors):
    """The shared version counters of ``tensors`` (made where missing), for
    ``_mark_written``; an object that is not a Tensor (a duck-typed
    parameter) has none and is left out."""
    return [t.shared_version_counter() for t in tensors if isinstance(t, Tensor)]


def _mark_written(counters):
    """Count one in-place write on each of ``counters`` (an optimizer step
    over many parameters): ``t._version += 1`` for each, in one pass."""
    _inplace_writes[0] += 1
    now = _inplace_writes[0]
    for counter in counters:
        counter[0] += 1
        counter[1] = now


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad            # d(sum x^2)/dx = 2x
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "grad_tensor", "requires_grad", "creator",
                 "name", "_version_counter", "__weakref__")

    # NumPy defers to our reflected operators (array + tensor -> Tensor).
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except TypeError:
                raise TypeError(f"not a dtype: {dtype!r}") from None
            _check_dtype(dtype)
        if isinstance(data, (np.ndarray, np.generic)):
            _check_cast(np.asarray(data), dtype)
            array = np.array(data, dtype=dtype)
        else:
            try:
                array = np.array(data)
            except ValueError as err:  # ragged nested lists
                raise ValueError(f"cannot make a Tensor from {data!r}: {err}") from None
            if dtype is None and array.dtype.kind in "biuf":
                dtype = config.get_default_dtype()
            if dtype is not None:
                _check_cast(array, dtype)
                array = array.astype(dtype)
        _check_dtype(array.dtype)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str or None, got {type(name).__name__}")
        self.data = array
        self.grad = self.grad_tensor = None
        self.requires_grad = False
        self.creator = None
        self.name = name
        self._version_counter = None  # made on the first in-place write
        self.requires_grad_(requires_grad)

    @classmethod
    def _wrap(cls, array):
        """A new Tensor around ``array`` with no checks and no copy (ops use this)."""
        t = _new(cls)
        t.data = array
        t.grad = t.grad_tensor = t.creator = t.name = t._version_counter = None
        t.requires_grad = False
        return t

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (only float tensors may require grad)."""
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(
                f"requires_grad must be True or False, got {requires_grad!r}"
            )
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only float tensors can require grad; this one is "
                f"{self.data.dtype} (integer tensors are for targets and indices)"
            )
        self.requires_grad = bool(requires_grad)
        return self

    # ---- plain attributes ------------------------------------------------
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def _version(self):
        """How many in-place writes through minigrad this tensor's data has
        had; a view (transpose, reshape, basic index, ``detach``) shares the
        counter of the tensor it views, as in PyTorch."""
        counter = self._version_counter
        return 0 if counter is None else counter[0]

    @_version.setter
    def _version(self, value):
        counter = self.shared_version_counter()
        _inplace_writes[0] += 1
        counter[0], counter[1] = value, _inplace_writes[0]

    def shared_version_counter(self):
        """``[version, writes so far at the last write]``, made on first use
        (most tensors are never written in place), for a view to share."""
        if self._version_counter is None:
            self._version_counter = [0, 0]
        return self._version_counter

    @property
    def is_leaf(self):
        """True for tensors the user made (no creator); grads land on leaves."""
        return self.creator is None

    @property
    def T(self):
        """The transpose (axes reversed), like ``ndarray.T``."""
        return _functions.transpose(self)

    def numpy(self):
        """The underlying ndarray (shared, not copied; not tracked by autograd)."""
        return self.data

    def item(self):
        """The value of a single-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, "
                f"got shape {self.data.shape}"
            )
        return self.data.item()

    def detach(self):
        """A new leaf sharing this tensor's data (and version counter), cut
        off from the graph."""
        t = Tensor._wrap(self.data)
        t._version_counter = self.shared_version_counter()
        return t

    def retain_grad(self):
        """Also store this non-leaf tensor's gradient in ``.grad`` on backward.

        As in PyTorch: gradients accumulate into it like a leaf's; on a leaf
        that requires grad it changes nothing; a tensor that does not require
        grad has no gradient to keep (RuntimeError).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "retain_grad() on a tensor that does not require grad: it has "
                "no gradient to keep (was it computed under no_grad()?)")
        if self.creator is not None:
            self.creator.retain_output_grad(self)
        return self

    @property
    def retains_grad(self):
        """True for a non-leaf tensor whose ``retain_grad()`` was called."""
        fn = self.creator
        return fn is not None and fn.retained_output is not None and (
            fn.retained_output() is self)

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Backpropagate from this tensor; gradients accumulate into leaves.

        ``grad`` is dL/d(self) and may be omitted only for a single-element
        tensor (it is then 1). The graph's saved values are freed afterwards
        unless ``retain_graph=True`` (which defaults to ``create_graph``).
        With ``create_graph=True`` the backward pass is recorded too: each
        leaf's ``.grad`` still gets the values (an array), and
        ``.grad_tensor`` the same gradient as a Tensor with its graph, to be
        differentiated again (``mg.grad`` returns such Tensors directly).
        """
        _functions.run_backward(self, grad, retain_graph, create_graph)

    def __array__(self, dtype=None, copy=None):
        # lets NumPy/matplotlib read a Tensor; the result is not tracked
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.data.shape} is "
                f"ambiguous; use .any() on .data or compare an .item()"
            )
        return bool(self.data)

    __hash__ = object.__hash__  # identity, although == is elementwise

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"]
        if self.creator is not None:
            extras.append(f"creator={self.creator.label}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}, {', '.join(extras)})"

    # ---- arithmetic (math in minigrad.functions) --------------------------
    def __add__(self, other):
        return _functions.add(self, other)

    def __radd__(self, other):
        return _functions.add(other, self)

    def __sub__(self, other):
        return _functions.sub(self, other)

    def __rsub__(self, other):
        return _functions.sub(other, self)

    def __mul__(self, other):
        return _functions.mul(self, other)

    def __rmul__(self, other):
        return _functions.mul(other, self)

    def __truediv__(self, other):
        return _functions.div(self, other)

    def __rtruediv__(self, other):
        return _functions.div(other, self)

    def __pow__(self, other):
        return _functions.pow(self, other)

    def __rpow__(self, other):
        return _functions.pow(other, self)

    def __matmul__(self, other):
        return _functions.matmul(self, other)

    def __rmatmul__(self, other):
        return _functions.matmul(other, self)

    def __neg__(self):
        return _functions.neg(self)

    def __abs__(self):
        return _functions.abs(self)

    def __getitem__(self, index):
        return _functions.getitem(self, index)

    # comparisons: boolean tensors, no graph
    def __eq__(self, other):
        return _functions.compare(np.equal, self, other)

    def __ne__(self, other):
        return _functions.compare(np.not_equal, self, other)

    def __lt__(self, other):
        return _functions.compare(np.less, self, other)

    def __le__(self, other):
        return _functions.compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _functions.compare(np.greater, self, other)

    def __ge__(self, other):
        return _functions.compare(np.greater_equal, self, other)

    # ---- op methods ------------------------------------------------------
    def astype(self, dtype):
        return _functions.astype(self, dtype)

    def exp(self):
        return _functions.exp(self)

    def log(self):
        return _functions.log(self)

    def sqrt(self):
        return _functions.sqrt(self)

    def abs(self):
        return _functions.abs(self)

    def tanh(self):
        return _functions.tanh(self)

    def sigmoid(self):
        return _functions.sigmoid(self)

    def relu(self):
        return _functions.relu(self)

    def sum(self, axis=None, keepdims=False):
        return _functions.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _functions.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _functions.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _functions.min(self, axis, keepdims)

    def reshape(self, *shape):
        return _functions.reshape(self, *shape)

    def transpose(self, *axes):
        return _functions.transpose(self, *axes)

    def clip(self, lo, hi):
        return _functions.clip(self, lo, hi)
