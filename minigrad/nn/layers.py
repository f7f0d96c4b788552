"""Layers: ``Linear``, ``Sequential``, ``MLP``, ``Dropout``, ``Identity``,
``Flatten``, ``Embedding`` and activation modules (normalisation layers are
in ``normalization.py``)."""

import numpy as np

from . import functional as F
from . import init
from ._util import _check_size, _float_dtype
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm


class Linear(Module):
    """An affine map ``y = x @ W.T + b``.

    - ``weight``: shape ``(out_features, in_features)``, PyTorch's layout (row
      ``j`` holds the weights into output ``j``); ``bias``: shape
      ``(out_features,)``, or None with ``bias=False``.
    - ``x`` has shape ``(..., in_features)``; ``y`` has ``(..., out_features)``.
    - Init (``init="kaiming"``, default): ``W ~ U(-b, b)`` with
      ``b = sqrt(6 / in_features)`` (He et al. 2015, arXiv:1502.01852; the
      right scale for ReLU), bias zero. ``init="xavier"``: ``b = sqrt(6 /
      (in + out))`` (Glorot & Bengio 2010; for tanh/sigmoid). Draws from
      ``mg.manual_seed``'s generator. PyTorch differs: its default is
      ``U(-1/sqrt(in), 1/sqrt(in))`` for both weight and bias.
    - ``dtype``: float32 or float64 (default: ``mg.get_default_dtype()``).
    """

    def __init__(self, in_features, out_features, bias=True, init="kaiming",
                 dtype=None):
        self.in_features = _check_size("in_features", in_features)
        self.out_features = _check_size("out_features", out_features)
        dtype = _float_dtype(dtype)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features),
                                         dtype=dtype))
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) \
            if bias else None
        self.init_scheme = init
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weight again as described above; zero the bias."""
        if self.init_scheme == "kaiming":
            init.kaiming_uniform_(self.weight, nonlinearity="relu")
        elif self.init_scheme == "xavier":
            init.xavier_uniform_(self.weight)
        else:
            raise ValueError(f"init must be 'kaiming' or 'xavier', got "
                             f"{self.init_scheme!r}")
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features="
                f"{self.out_features}, bias={self.bias is not None}")


class Sequential(Module):
    """Apply modules one after the other: ``Sequential(a, b)(x) == b(a(x))``.

    Submodules are named ``"0", "1", ...`` (as in PyTorch), so parameters are
    ``"0.weight"``, ``"0.bias"``, ...; supports ``len``, indexing and iteration.
    """

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, argument {i} is "
                                f"{type(m).__name__}")
        self.layers = list(modules)

    def _children_and_params(self):
        for i, module in enumerate(self.layers):
            yield str(i), module
        for name, value in super()._children_and_params():  # subclass extras
            if not name.startswith("layers."):
                yield name, value

    def forward(self, x):
        for module in self.layers:
            x = module(x)
        return x

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential takes Modules, got {type(module).__name__}")
        self.layers.append(module)
        return self


class ReLU(Module):
    """``max(x, 0)`` elementwise."""

    def forward(self, x):
        return F.relu(x)


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, x):
        return F.tanh(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x):
        return F.sigmoid(x)


class LeakyReLU(Module):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise."""

    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """``x * Phi(x)`` (``approximate="tanh"``: its tanh form); see ``F.gelu``."""

    def __init__(self, approximate="none"):
        F.gelu(np.zeros(1), approximate)  # checks the argument
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``x * sigmoid(x)`` (swish); see ``F.silu``."""

    def forward(self, x):
        return F.silu(x)


class ELU(Module):
    """``x`` if x > 0 else ``alpha * (exp(x) - 1)``; see ``F.elu``."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``; see
    ``F.softplus``."""

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """``exp(x) / sum(exp(x))`` along ``dim`` (PyTorch's name; ``F.softmax``
    calls it ``axis``). ``dim`` must be given, as PyTorch recommends."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """``x - logsumexp(x)`` along ``dim``; see ``F.log_softmax``."""

    def forward(self, x):
        return F.log_softmax(x, self.dim)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. ``norm=None``)."""

    def forward(self, x):
        return x


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one (default: all but the batch
    axis), e.g. (N, 28, 28) -> (N, 784), as ``torch.nn.Flatten``."""

    def __init__(self, start_dim=1, end_dim=-1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        n = x.ndim
        start, end = self.start_dim % n, self.end_dim % n
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} comes after "
                             f"end_dim {self.end_dim} for input {x.shape}")
        merged = int(np.prod(x.shape[start:end + 1]))
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1:])

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training, zero each value with probability ``p`` (default 0.5) and
    scale the rest by ``1 / (1 - p)``; in eval, the identity. The mask comes
    from minigrad's generator (``mg.manual_seed``); see ``F.dropout``."""

    def __init__(self, p=0.5):
        F.dropout(np.zeros(1), p, training=False)  # checks p
        self.p = float(p)

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Embedding(Module):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``:
    ``Embedding(n, d)(idx)`` is ``weight[idx]`` (shape ``idx.shape + (d,)``).
    ``weight ~ N(0, 1)`` as PyTorch, drawn from minigrad's generator; the
    ``padding_idx`` row starts at zero and gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None,
                 dtype=None):
        self.num_embeddings = _check_size("num_embeddings", num_embeddings)
        self.embedding_dim = _check_size("embedding_dim", embedding_dim)
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"padding_idx must be in [-{num_embeddings}, "
                                 f"{num_embeddings}), got {padding_idx}")
            padding_idx %= num_embeddings
        self.padding_idx = padding_idx
        self.weight = Parameter(np.zeros((num_embeddings, embedding_dim),
                                         _float_dtype(dtype)))
        init.normal_(self.weight)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid,
                "leaky_relu": LeakyReLU, "gelu": GELU, "silu": SiLU, "elu": ELU}
_NORMS = {"batch": BatchNorm1d, "layer": LayerNorm}
_INIT_FOR = {"relu": "kaiming", "leaky_relu": "kaiming", "tanh": "xavier",
             "sigmoid": "xavier", "gelu": "kaiming", "silu": "kaiming",
             "elu": "kaiming"}


class MLP(Sequential):
    """A multi-layer perceptron: ``Linear`` layers with an activation between
    them and none after the last, e.g. ``MLP([2, 16, 16, 1])`` is
    ``Linear(2,16) act Linear(16,16) act Linear(16,1)``.

    ``activation`` is ``"relu"`` (default), ``"tanh"``, ``"sigmoid"``,
    ``"leaky_relu"``, ``"gelu"``, ``"silu"`` or ``"elu"``; the Linear layers
    use the matching init (Kaiming for the ReLU family, Xavier for
    tanh/sigmoid). Parameters are named as in the equivalent ``Sequential``:
    ``"0.weight"``, ``"2.weight"``, ...

    Each hidden layer can be the CS231n block ``Linear - norm - activation -
    Dropout``: ``norm="batch"`` (``BatchNorm1d``) or ``"layer"``
    (``LayerNorm``) after each hidden Linear, and ``dropout=p > 0`` after each
    hidden activation. E.g. ``MLP([64, 100, 100, 10], norm="batch",
    dropout=0.2)`` is ``Linear BatchNorm1d ReLU Dropout Linear BatchNorm1d
    ReLU Dropout Linear`` (named ``"0"`` ... ``"8"``).
    """

    def __init__(self, sizes, activation="relu", bias=True, dtype=None,
                 dropout=0.0, norm=None):
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a list of layer widths, got {sizes!r}")
        sizes = [_check_size(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, "
                             f"got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of "
                             f"{sorted(_ACTIVATIONS)}")
        if norm is not None and norm not in _NORMS:
            raise ValueError(f"unknown norm {norm!r}; expected None, 'batch' or "
                             f"'layer'")
        Dropout(dropout)  # checks the probability
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
            layers.append(Linear(n_in, n_out, bias=bias,
                                 init=_INIT_FOR[activation], dtype=dtype))
            if i < len(sizes) - 2:
                if norm is not None:
                    layers.append(_NORMS[norm](n_out, dtype=dtype))
                layers.append(_ACTIVATIONS[activation]())
                if dropout > 0:
                    layers.append(Dropout(dropout))
        super().__init__(*layers)
        self.sizes, self.activation = sizes, activation
        self.dropout, self.norm = float(dropout), norm

    def extra_repr(self):
        extra = f", dropout={self.dropout}" if self.dropout else ""
        extra += f", norm={self.norm!r}" if self.norm else ""
        return f"sizes={self.sizes}, activation={self.activation!r}{extra}"
