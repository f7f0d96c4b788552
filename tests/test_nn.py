"""nn.Module bookkeeping, layers, init and gradient clipping."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import F


def f64(shape, rng):
    return mg.Tensor(rng.standard_normal(shape), dtype=np.float64)


# ---- Parameter ---------------------------------------------------------------
def test_parameter_requires_grad_and_copies():
    data = np.ones(3, dtype=np.float64)
    p = nn.Parameter(data)
    assert p.requires_grad and p.is_leaf and p.dtype == np.float64
    p.data[0] = 5
    assert data[0] == 1
    assert nn.Parameter([1.0, 2.0]).dtype == mg.get_default_dtype()
    with pytest.raises(TypeError, match="float"):
        nn.Parameter(np.arange(3))


# ---- discovery ---------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, n):
        self.lin = nn.Linear(n, n)
        self.scale = nn.Parameter(np.ones(n, np.float32))

    def forward(self, x):
        return self.lin(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        self.first = nn.Linear(2, 4)
        self.blocks = [Block(4), Block(4)]
        self.heads = {"a": nn.Linear(4, 1), "b": nn.Linear(4, 2)}
        self.extra = (nn.Parameter(np.zeros(2, np.float32)),)
        self.not_a_param = np.ones(3)  # plain arrays and numbers are ignored
        self.width = 4


def test_named_parameters_walks_attributes_lists_dicts_and_nesting():
    names = [n for n, _ in Net().named_parameters()]
    assert names == [
        "first.weight", "first.bias",
        "blocks.0.lin.weight", "blocks.0.lin.bias", "blocks.0.scale",
        "blocks.1.lin.weight", "blocks.1.lin.bias", "blocks.1.scale",
        "heads.a.weight", "heads.a.bias", "heads.b.weight", "heads.b.bias",
        "extra.0",
    ]
    net = Net()
    assert [id(p) for p in net.parameters()] == [
        id(p) for _, p in net.named_parameters()]
    assert net.num_parameters() == 12 + 2 + 2 * (20 + 4) + 5 + 10


def test_shared_parameters_and_modules_are_counted_once():
    class Tied(nn.Module):
        def __init__(self):
            self.enc = nn.Linear(3, 3)
            self.dec = nn.Linear(3, 3)
            self.dec.weight = self.enc.weight  # tied weights
            self.again = self.enc  # the same module twice
            self.layers = [self.enc, self.dec]

    model = Tied()
    params = list(model.parameters())
    assert len(params) == 3 and len({id(p) for p in params}) == 3
    assert [n for n, _ in model.named_parameters()] == [
        "enc.weight", "enc.bias", "dec.bias"]
    assert len(list(model.modules())) == 3  # Tied, enc, dec


def test_gradients_of_a_shared_parameter_accumulate_from_both_uses():
    class TwoUses(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.array([2.0]))

        def forward(self, x):
            return x * self.w + x * self.w * self.w

    model = TwoUses()
    model(mg.Tensor(np.array([3.0]))).sum().backward()
    np.testing.assert_allclose(model.w.grad, [3.0 + 2 * 3.0 * 2.0])


def test_train_eval_recurse_and_return_self():
    net = Net()
    assert net.eval() is net
    assert all(not m.training for m in net.modules())
    assert net.heads["b"].training is False
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(TypeError, match="mode"):
        net.train("no")


def test_zero_grad_to_none_or_in_place_keeping_identity():
    model = nn.Linear(3, 2)
    model(mg.Tensor(np.ones((4, 3), np.float32))).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and not grad.any()
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


# ---- state dicts ------------------------------------------------------------------
def test_state_dict_is_a_copy_and_round_trips(tmp_path):
    mg.manual_seed(0)
    model = nn.MLP([2, 5, 3])
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model[0].weight.data += 1  # training on must not change a saved state
    assert not np.array_equal(state["0.weight"], model[0].weight.data)

    mg.manual_seed(1)
    other = nn.MLP([2, 5, 3])
    arrays_before = [p.data for p in other.parameters()]
    other.load_state_dict(state)
    assert [p.data for p in other.parameters()] == arrays_before  # in place
    for (name, p), q in zip(other.named_parameters(), arrays_before):
        assert p.data is q
        np.testing.assert_array_equal(p.data, state[name])

    mg.save(model.state_dict(), tmp_path / "model.npz")
    other.load_state_dict(mg.load(tmp_path / "model.npz"))
    x = mg.Tensor(np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32))
    np.testing.assert_array_equal(other(x).numpy(), model(x).numpy())


def _bad_states(good):
    missing = dict(good)
    del missing["2.bias"]
    yield missing, KeyError, "missing keys \\['2.bias'\\]"
    yield dict(good, **{"2.extra": np.ones(1)}), KeyError, "unexpected keys"
    yield dict(good, **{"2.weight": np.ones((3, 4), np.float32)}), ValueError, \
        "'2.weight'.*shape"
    yield dict(good, **{"2.bias": good["2.bias"].astype(np.float64)}), TypeError, \
        "'2.bias'.*float64"
    yield dict(good, **{"2.bias": [0.0, 0.0, 0.0]}), TypeError, "'2.bias'"


@pytest.mark.parametrize("case", range(5))
def test_load_state_dict_is_all_or_nothing(case):
    """The bad entry is the LAST one, so a loader that copied as it checked
    would already have overwritten the earlier parameters."""
    mg.manual_seed(0)
    model = nn.MLP([2, 5, 3])
    before = {k: v.copy() for k, v in model.state_dict().items()}
    good = {k: v + 1 for k, v in before.items()}
    bad, error, match = list(_bad_states(good))[case]
    with pytest.raises(error, match=match):
        model.load_state_dict(bad)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_non_strict_allows_missing_and_extra():
    model = nn.Linear(2, 2)
    model.load_state_dict({"bias": np.full(2, 7, np.float32), "other": 1},
                          strict=False)
    np.testing.assert_array_equal(model.bias.data, [7, 7])
    with pytest.raises(TypeError, match="dict"):
        model.load_state_dict([("bias", np.zeros(2))])


# ---- layers ------------------------------------------------------------------
def test_linear_layout_forward_and_gradcheck(rng):
    layer = nn.Linear(3, 4, dtype=np.float64)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (4,)
    x = f64((5, 3), rng)
    expected = x.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-14)
    assert mg.gradcheck_module(layer, x)
    no_bias = nn.Linear(3, 4, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1
    assert layer(f64((2, 7, 3), rng)).shape == (2, 7, 4)  # leading batch dims


def test_linear_init_kaiming_and_xavier_statistics():
    mg.manual_seed(0)
    layer = nn.Linear(400, 300)
    w = layer.weight.numpy()
    bound = math.sqrt(6 / 400)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert not layer.bias.numpy().any()
    assert w.dtype == mg.get_default_dtype()
    xavier = nn.Linear(400, 300, init="xavier").weight.numpy()
    assert xavier.std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    with pytest.raises(ValueError, match="init"):
        nn.Linear(2, 2, init="zeros")


def test_init_is_seeded_by_manual_seed():
    mg.manual_seed(42)
    a = nn.MLP([2, 8, 3]).state_dict()
    mg.manual_seed(42)
    b = nn.MLP([2, 8, 3]).state_dict()
    mg.manual_seed(43)
    c = nn.MLP([2, 8, 3]).state_dict()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["0.weight"], c["0.weight"])


def test_mlp_structure_and_forward(rng):
    model = nn.MLP([2, 16, 16, 1], activation="tanh", dtype=np.float64)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    x = f64((7, 2), rng)
    h = x.numpy()
    for m in model:
        h = h @ m.weight.numpy().T + m.bias.numpy() if isinstance(m, nn.Linear) \
            else np.tanh(h)
    np.testing.assert_allclose(model(x).numpy(), h, rtol=1e-12)
    assert mg.gradcheck_module(model, x, loss_fn=lambda out: (out * out).sum())
    assert "Tanh" in repr(model) and "in_features=2" in repr(model)
    assert [type(m).__name__ for m in nn.MLP([3, 4])] == ["Linear"]


@pytest.mark.parametrize("activation, kind", [
    ("relu", nn.ReLU), ("sigmoid", nn.Sigmoid), ("leaky_relu", nn.LeakyReLU)])
def test_mlp_activations(activation, kind):
    assert isinstance(nn.MLP([2, 3, 2], activation=activation)[1], kind)


def test_sequential_composes_and_indexes(rng):
    seq = nn.Sequential(nn.Linear(3, 4, dtype=np.float64), nn.ReLU(),
                        nn.Linear(4, 2, dtype=np.float64))
    x = f64((5, 3), rng)
    np.testing.assert_array_equal(seq(x).numpy(), seq[2](seq[1](seq[0](x))).numpy())
    assert len(seq) == 3 and [n for n, _ in seq.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and np.all(seq(x).numpy() > 0)
    with pytest.raises(TypeError, match="argument 1"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_subclass_of_sequential_keeps_its_own_attributes():
    class WithHead(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Linear(2, 3), nn.ReLU())
            self.head = nn.Linear(3, 1)

    names = [n for n, _ in WithHead().named_parameters()]
    assert names == ["0.weight", "0.bias", "head.weight", "head.bias"]


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Linear(0, 3), ValueError, "in_features"),
    (lambda: nn.Linear(2, 3.0), TypeError, "out_features"),
    (lambda: nn.Linear(2, 3, dtype=np.int32), TypeError, "dtype"),
    (lambda: nn.MLP([2]), ValueError, "at least"),
    (lambda: nn.MLP("2, 3"), TypeError, "sizes"),
    (lambda: nn.MLP([2, -1, 3]), ValueError, r"sizes\[1\]"),
    (lambda: nn.MLP([2, 3], activation="swish"), ValueError, "swish"),
    (lambda: nn.Linear(3, 2)(mg.Tensor(np.ones((4, 2), np.float32))),
     ValueError, "does not fit"),
    (lambda: nn.Linear(3, 2)(mg.Tensor(np.ones((4, 3)), dtype=np.float64)),
     TypeError, "float64"),
    (lambda: nn.Module()(1), NotImplementedError, "forward"),
])
def test_bad_layer_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- init --------------------------------------------------------------------
def test_init_helpers():
    t = nn.Parameter(np.zeros((50, 20)))
    assert nn.init.fan_in_and_fan_out(t.shape) == (20, 50)
    assert nn.init.fan_in_and_fan_out((4, 3, 5, 5)) == (75, 100)
    data = t.data
    nn.init.kaiming_normal_(t)
    assert t.data is data  # filled in place
    assert t.data.std() == pytest.approx(math.sqrt(2 / 20), rel=0.1)
    nn.init.xavier_normal_(t, gain=2.0)
    assert t.data.std() == pytest.approx(2 * math.sqrt(2 / 70), rel=0.1)
    nn.init.constant_(t, 3.0)
    assert np.all(t.data == 3)
    nn.init.uniform_(t, -1, 2)
    assert t.data.min() >= -1 and t.data.max() <= 2
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert nn.init.calculate_gain("leaky_relu", 0.0) == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError, match="at least 2"):
        nn.init.kaiming_uniform_(nn.Parameter(np.zeros(3)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("swish")
    with pytest.raises(TypeError, match="float"):
        nn.init.zeros_(mg.Tensor(np.arange(3)))


# ---- clipping ----------------------------------------------------------------
def _params_with_grads(rng, scale):
    params = [nn.Parameter(np.zeros(s)) for s in [(3, 4), (5,), (2,)]]
    for p in params[:2]:
        p.grad = rng.standard_normal(p.shape) * scale
    return params  # the last one has grad None


def test_clip_grad_norm_scales_to_max_norm_in_place(rng):
    params = _params_with_grads(rng, 10.0)
    grads = [p.grad for p in params[:2]]
    originals = [g.copy() for g in grads]
    expected = math.sqrt(sum(np.sum(g ** 2) for g in originals))
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert isinstance(total, float) and total == pytest.approx(expected, rel=1e-12)
    assert all(p.grad is g for p, g in zip(params, grads))  # identity kept
    new_norm = math.sqrt(sum(np.sum(g ** 2) for g in grads))
    assert new_norm == pytest.approx(1.0, rel=1e-5)
    for g, o in zip(grads, originals):  # the direction is kept
        np.testing.assert_allclose(g, o * (1.0 / (expected + 1e-6)), rtol=1e-12)
    assert params[2].grad is None


def test_clip_grad_norm_leaves_small_gradients_alone(rng):
    params = _params_with_grads(rng, 0.01)
    before = [p.grad.copy() for p in params[:2]]
    nn.utils.clip_grad_norm_(iter(params), max_norm=100.0)
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.grad, b)


def test_clip_grad_norm_nonfinite(rng):
    params = _params_with_grads(rng, 1.0)
    params[0].grad[0, 0] = np.inf
    before = params[1].grad.copy()
    assert math.isinf(nn.utils.clip_grad_norm_(params, 1.0))
    np.testing.assert_array_equal(params[1].grad, before)
    with pytest.raises(RuntimeError, match="NaN or Inf"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value(rng):
    params = _params_with_grads(rng, 5.0)
    nn.utils.clip_grad_value_(params, 0.5)
    assert all(np.abs(p.grad).max() <= 0.5 for p in params[:2])


@pytest.mark.parametrize("args, error", [
    ((set(), 1.0), TypeError), (([1.0], 1.0), TypeError), ((5, 1.0), TypeError),
    (([], 0.0), ValueError), (([], float("nan")), ValueError), (([], "1"), TypeError),
])
def test_clip_grad_norm_bad_arguments(args, error):
    with pytest.raises(error):
        nn.utils.clip_grad_norm_(*args)


def test_nn_exports():
    for name in ["Module", "Parameter", "Linear", "MLP", "Sequential", "ReLU",
                 "Tanh", "Sigmoid", "functional", "F", "init", "utils"]:
        assert hasattr(nn, name), name
    assert nn.F is nn.functional and mg.nn is nn
    assert callable(F.cross_entropy)


def test_deepcopy_and_deep_nesting():
    import copy

    model = nn.MLP([2, 3, 2])
    twin = copy.deepcopy(model)
    assert twin[0].weight.data is not model[0].weight.data
    np.testing.assert_array_equal(twin[0].weight.data, model[0].weight.data)
    assert isinstance(twin[0].weight, nn.Parameter)
    deep = nn.Linear(2, 2)
    for _ in range(5000):  # discovery is iterative: no recursion limit
        deep = nn.Sequential(deep)
    assert len(list(deep.parameters())) == 2
    assert len(deep.state_dict()) == 2
