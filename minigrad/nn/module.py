"""``Module`` and ``Parameter``: the bookkeeping every layer shares.

A module finds its parameters by looking at its own attributes: a
``Parameter``, a sub-``Module``, or lists, tuples and dicts holding them at any
depth (a list of lists, a dict of lists). There is nothing to register:

    >>> class Net(Module):
    ...     def __init__(self):
    ...         self.hidden = [Linear(2, 8), Linear(8, 8)]
    ...         self.out = Linear(8, 1)

names its parameters ``hidden.0.weight, hidden.0.bias, hidden.1.weight, ...,
out.bias``. A parameter (or module) reachable twice is reported once, under the
first name found walking depth first in attribute order, so weight sharing does
not make an optimizer step it twice.
"""
import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates.

    Same as ``Tensor(data, requires_grad=True)``; the data must be floating
    point (float32 or float64; Python numbers and lists get the default dtype).
    """

    def __init__(self, data, dtype=None, name=None):
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad=True, dtype=dtype, name=name)
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"a Parameter must be float32 or float64, got "
                            f"{self.dtype}")

    def __repr__(self):
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


def _members(value, prefix):
    """(dotted name, item) for every Parameter or Module in ``value``: the value
    itself, or what lists, tuples and dicts hold at any depth, in order.
    Iterative (a deep nesting cannot hit the recursion limit); a container met
    twice (or holding itself) is walked once."""
    stack, walked = [(prefix, value)], set()
    while stack:
        name, item = stack.pop()
        if isinstance(item, (Parameter, Module)):
            yield name, item
        elif isinstance(item, (list, tuple, dict)) and id(item) not in walked:
            walked.add(id(item))
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend(reversed([(f"{name}.{key}", inner)
                                   for key, inner in pairs]))


class Module:
    """Base class of layers and models: subclass it and write ``forward``.

    - ``model(x)`` calls ``model.forward(x)``.
    - ``parameters()`` / ``named_parameters()`` walk the attributes (see the
      module docstring); names are dotted paths such as ``"0.weight"``.
    - ``children()`` / ``modules()`` (and their ``named_`` forms) walk the
      submodules; ``apply(fn)`` calls ``fn`` on each, children first.
    - ``register_buffer(name, array)``: state that is saved but not trained
      (``BatchNorm1d``'s running statistics); ``buffers()``,
      ``named_buffers()``.
    - ``train()`` / ``eval()`` set ``training`` on every submodule
      (``Dropout`` and ``BatchNorm1d`` behave differently in the two modes).
    - ``requires_grad_(False)`` freezes every parameter.
    - ``zero_grad()`` resets every parameter's ``.grad`` (to None).
    - ``state_dict()`` / ``load_state_dict()`` save and restore the values of
      the parameters and the (persistent) buffers.

    Subclasses need not call ``super().__init__()``.
    """

    training = True  # class default; train()/eval() set it per instance

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- discovery ----------------------------------------------------------
    def _children_and_params(self):
        """(name, Module or Parameter) directly held by this module, in order."""
        for attr, value in vars(self).items():
            yield from _members(value, attr)

    def _walk(self):
        """(dotted name, item) for every submodule and parameter, depth first
        in attribute order, each object once: an object is claimed when the
        walk reaches it, so the first name in that order wins (a parameter of
        ``self.layer`` set before ``self.decay = [self.layer.weight]`` is
        ``layer.weight``). Iterative, so deep nesting cannot hit the recursion
        limit."""
        seen = set()
        stack = [("", self)]
        while stack:
            name, item = stack.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            yield name, item
            if isinstance(item, Module):
                inner = [(f"{name}.{child_name}" if name else child_name, child)
                         for child_name, child in item._children_and_params()
                         if id(child) not in seen]
                stack.extend(reversed(inner))

    def named_modules(self):
        """(dotted name, module) for this module (named "") and every
        submodule, each once."""
        return ((n, m) for n, m in self._walk() if isinstance(m, Module))

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_parameters(self):
        """(dotted name, Parameter) for every parameter, each exactly once, in
        the order the attributes were set (depth first)."""
        return ((n, p) for n, p in self._walk() if isinstance(p, Parameter))

    def parameters(self):
        """Every Parameter once, in the order of ``named_parameters()``."""
        return (p for _, p in self.named_parameters())

    def num_parameters(self):
        """Total number of scalars in the parameters."""
        return sum(p.size for p in self.parameters())

    def named_children(self):
        """(name, module) for each direct submodule, each once, in attribute
        order (a module in a list is named ``"blocks.0"``)."""
        seen = set()
        for name, item in self._children_and_params():
            if isinstance(item, Module) and id(item) not in seen:
                seen.add(id(item))
                yield name, item

    def children(self):
        """The direct submodules (not their submodules), each once."""
        return (module for _, module in self.named_children())

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule, children before parents
        (as PyTorch), then on ``self``; returns self. E.g.
        ``model.apply(lambda m: m.reset_parameters() if isinstance(m,
        nn.Linear) else None)``."""
        stack, seen = [(self, False)], set()
        while stack:  # depth first, a module after its children, each once
            module, children_done = stack.pop()
            if children_done:
                fn(module)
            elif id(module) not in seen:
                seen.add(id(module))
                stack.append((module, True))
                stack.extend((c, False) for c in reversed(list(module.children())))
        return self

    # --- buffers --------------------------------------------------------------
    def register_buffer(self, name, value, persistent=True):
        """Keep ``value`` (an array, a Tensor, or None) as ``self.<name>``: a
        Tensor that is not a parameter (no gradient, no optimizer) but belongs
        to the module's state: saved in ``state_dict()`` unless
        ``persistent=False``, found by ``buffers()``. The array is copied."""
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"buffer name must be an identifier string, got "
                            f"{name!r}")
        if name in vars(self) and name not in self.__dict__.get("_buffers", {}):
            raise KeyError(f"attribute {name!r} already exists and is not a "
                           "buffer")
        if value is not None:
            array = value.data if isinstance(value, Tensor) else value
            if not isinstance(array, (np.ndarray, np.generic)):
                raise TypeError(f"buffer {name!r} must be a NumPy array or "
                                f"Tensor, got {type(value).__name__}")
            value = Tensor(np.array(array))
        self.__dict__.setdefault("_buffers", {})[name] = bool(persistent)
        setattr(self, name, value)

    def named_buffers(self, persistent_only=False):
        """(dotted name, Tensor) for every buffer of this module and its
        submodules (in ``named_modules()`` order); None buffers are skipped."""
        for prefix, module in self.named_modules():
            for name, persistent in module.__dict__.get("_buffers", {}).items():
                value = getattr(module, name, None)
                full = f"{prefix}.{name}" if prefix else name
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"buffer {full!r} was replaced by a "
                                    f"{type(value).__name__}; assign a Tensor "
                                    f"or call register_buffer again")
                if value is not None and (persistent or not persistent_only):
                    yield full, value

    def buffers(self):
        """Every buffer Tensor, in the order of ``named_buffers()``."""
        return (b for _, b in self.named_buffers())

    # --- modes and gradients --------------------------------------------------
    def train(self, mode=True):
        """Set training mode (``mode=False`` is ``eval()``); returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode: ``train(False)``; returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter (``False`` freezes them:
        backward leaves their ``.grad`` None, so optimizers skip them);
        returns self."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be True or False, got "
                            f"{requires_grad!r}")
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: set ``.grad`` to None (default,
        as in PyTorch and ``opt.zero_grad()``), or with ``set_to_none=False``
        fill the existing arrays with zeros in place (keeping their identity).
        """
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    # --- saving and loading ---------------------------------------------------
    def state_dict(self):
        """``{name: copy of the array}``: the parameters in parameter order,
        then the persistent buffers (e.g. ``"0.running_mean"``).

        Copies, unlike PyTorch: training on does not change a saved state.
        """
        return {name: t.data.copy() for name, t in self._state_tensors().items()}

    def _state_tensors(self):
        """``{name: Tensor}`` of everything ``state_dict`` saves."""
        tensors = dict(self.named_parameters())
        for name, buffer in self.named_buffers(persistent_only=True):
            tensors.setdefault(name, buffer)
        return tensors

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of ``state_dict`` into the parameters and buffers,
        in place.

        All or nothing: every key, shape and dtype is checked before anything
        is written, and a problem raises ``KeyError`` (missing or unexpected
        key; ``strict=False`` allows both) or ``ValueError``/``TypeError``
        (shape or dtype), naming the key. The parameters' arrays keep their
        identity, so an optimizer holding them stays attached.
        """
        for p, array in self._checked_pairs(state_dict, strict):
            np.copyto(p.data, array)
            p._version += 1  # an in-place write (see Tensor's docstring)

    def check_state_dict(self, state_dict, strict=True):
        """Raise what ``load_state_dict(state_dict, strict)`` would raise, and
        change nothing. ``mg.restore`` checks every object this way first."""
        self._checked_pairs(state_dict, strict)

    def _checked_pairs(self, state_dict, strict):
        """``[(parameter, array to copy in)]`` once everything is checked."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict, got "
                            f"{type(state_dict).__name__}")
        params = self._state_tensors()
        missing = [k for k in params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in params]
        if strict and (missing or unexpected):
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys "
                           f"{missing}, unexpected keys {unexpected}")
        checked = []
        for name, p in params.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = value.data if isinstance(value, Tensor) else value
            if not isinstance(array, np.ndarray):
                raise TypeError(f"state_dict[{name!r}] must be a NumPy array or "
                                f"Tensor, got {type(value).__name__}")
            if array.shape != p.shape:
                raise ValueError(f"state_dict[{name!r}] has shape {array.shape}, "
                                 f"the parameter has shape {p.shape}")
            if array.dtype != p.dtype:
                raise TypeError(f"state_dict[{name!r}] has dtype {array.dtype}, "
                                f"the parameter has dtype {p.dtype}")
            checked.append((p, array))
        return checked

    # --- printing ---------------------------------------------------------------
    def extra_repr(self):
        """Settings shown inside the parentheses of ``repr``."""
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        children = [(n, m) for n, m in self._children_and_params()
                    if isinstance(m, Module)]
        if not children:
            return lines[0] + ")"
        for name, module in children:
            inner = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {inner}")
        return "\n".join(lines) + "\n)"
