"""The layers, activations, losses and gradient utilities of issue 19 against
PyTorch float64 (forward, backward and state), plus gradcheck for every op
with a backward. Torch is optional: those tests skip without it."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import F

RTOL, ATOL = 1e-12, 1e-12


def torch_or_skip():
    return pytest.importorskip("torch")


def close(ours, theirs, rtol=RTOL, atol=ATOL):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    np.testing.assert_allclose(np.asarray(ours), theirs, rtol=rtol, atol=atol)


def f64(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def both(x):
    """The same float64 values as a minigrad and a torch leaf."""
    torch = torch_or_skip()
    return (mg.Tensor(x, requires_grad=True),
            torch.tensor(x, requires_grad=True))


def run_both(ours, theirs, x, rng):
    """Forward both, backward a random cotangent, compare values and grads."""
    torch = torch_or_skip()
    a, b = both(x)
    ya, yb = ours(a), theirs(b)
    close(ya.data, yb)
    g = rng.standard_normal(ya.shape)
    ya.backward(g)
    yb.backward(torch.tensor(g))
    close(a.grad, b.grad)


# ---- activations -------------------------------------------------------------
ACTIVATIONS = {
    "gelu": (lambda t: F.gelu(t), lambda T: T.nn.functional.gelu),
    "gelu_tanh": (lambda t: F.gelu(t, "tanh"),
                  lambda T: lambda t: T.nn.functional.gelu(t, approximate="tanh")),
    "silu": (F.silu, lambda T: T.nn.functional.silu),
    "elu": (lambda t: F.elu(t, 0.7),
            lambda T: lambda t: T.nn.functional.elu(t, 0.7)),
    "softplus": (lambda t: F.softplus(t, 2.0, 3.0),
                 lambda T: lambda t: T.nn.functional.softplus(t, 2.0, 3.0)),
    "GELU": (nn.GELU(), lambda T: T.nn.GELU()),
    "GELU_tanh": (nn.GELU("tanh"), lambda T: T.nn.GELU("tanh")),
    "SiLU": (nn.SiLU(), lambda T: T.nn.SiLU()),
    "ELU": (nn.ELU(1.3), lambda T: T.nn.ELU(1.3)),
    "Softplus": (nn.Softplus(0.5, 4.0), lambda T: T.nn.Softplus(0.5, 4.0)),
    "Softmax": (nn.Softmax(dim=0), lambda T: T.nn.Softmax(dim=0)),
    "LogSoftmax": (nn.LogSoftmax(dim=-1), lambda T: T.nn.LogSoftmax(dim=-1)),
    "Identity": (nn.Identity(), lambda T: T.nn.Identity()),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_matches_torch(name, rng):
    torch = torch_or_skip()
    ours, theirs = ACTIVATIONS[name]
    x = f64(rng, 5, 7, scale=3.0)
    x[0, :4] = [0.0, 40.0, -40.0, 1e-9]  # the branch points and the tails
    run_both(ours, theirs(torch), x, rng)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"Identity"}))
def test_activation_gradcheck(name, rng):
    ours, _ = ACTIVATIONS[name]
    x = mg.Tensor(f64(rng, 3, 4) + 0.05, requires_grad=True)  # away from kinks
    assert mg.gradcheck(ours, [x])


def test_softplus_threshold_and_large_inputs_stay_finite():
    y = F.softplus(mg.Tensor(np.array([-1000.0, 0.0, 1000.0])))
    assert np.all(np.isfinite(y.data)) and y.data[2] == 1000.0
    assert y.data[1] == pytest.approx(math.log(2))


def test_bad_activation_arguments():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(ValueError, match="beta"):
        F.softplus(mg.Tensor([1.0]), beta=0)
    with pytest.raises(ValueError, match="alpha"):
        F.elu(mg.Tensor([1.0]), alpha=math.nan)


# ---- Flatten, Embedding ----------------------------------------------------------
@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (-2, -1), (0, 0)])
def test_flatten_matches_torch(start, end, rng):
    torch = torch_or_skip()
    run_both(nn.Flatten(start, end), torch.nn.Flatten(start, end),
             f64(rng, 2, 3, 4, 5), rng)


def test_flatten_refuses_start_after_end():
    with pytest.raises(ValueError, match="start_dim"):
        nn.Flatten(2, 1)(mg.Tensor(np.zeros((2, 3, 4))))


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx, rng):
    torch = torch_or_skip()
    mg.manual_seed(0)
    ours = nn.Embedding(6, 3, padding_idx=padding_idx, dtype=np.float64)
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx,
                                dtype=torch.float64)
    if padding_idx is not None:
        assert not ours.weight.data[padding_idx].any()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
    idx = np.array([[0, 2, 2], [5, 2, 1]])  # repeats accumulate
    y, z = ours(idx), theirs(torch.tensor(idx))
    close(y.data, z)
    g = rng.standard_normal(y.shape)
    y.backward(g)
    z.backward(torch.tensor(g))
    close(ours.weight.grad, theirs.weight.grad)


def test_embedding_gradcheck_and_bad_indices(rng):
    w = mg.Tensor(f64(rng, 5, 2), requires_grad=True)
    idx = np.array([1, 1, 4, 0])
    assert mg.gradcheck(lambda t: F.embedding(idx, t), [w])
    with pytest.raises(IndexError, match=r"\[0, 5\)"):
        F.embedding(np.array([5]), w)
    with pytest.raises(TypeError, match="integers"):
        F.embedding(np.array([0.5]), w)


def test_embedding_init_is_seeded_standard_normal():
    mg.manual_seed(3)
    a = nn.Embedding(400, 50).weight.data
    mg.manual_seed(3)
    assert np.array_equal(a, nn.Embedding(400, 50).weight.data)
    assert abs(a.mean()) < 0.02 and abs(a.std() - 1) < 0.02


# ---- Dropout -----------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.0, 0.3, 0.9, 1.0])
def test_dropout_train_matches_torch_given_the_same_mask(p, rng):
    """Torch draws other masks; given the same mask (read off our output) the
    values and the gradient are torch's, which scales kept values by 1/(1-p)."""
    torch = torch_or_skip()
    x = f64(rng, 40, 30) + 5.0  # no zeros, so the mask is readable
    layer = nn.Dropout(p)
    a = mg.Tensor(x, requires_grad=True)
    y = layer(a)
    mask = y.data != 0
    scale = 0.0 if p == 1 else 1 / (1 - p)
    b = torch.tensor(x, requires_grad=True)
    z = b * torch.tensor(mask) * scale
    close(y.data, z)
    g = rng.standard_normal(x.shape)
    y.backward(g)
    z.backward(torch.tensor(g))
    close(a.grad, b.grad)
    if 0 < p < 1:  # the keep rate is 1 - p (1200 draws: 5 sigma)
        assert abs(mask.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / x.size)
    torch_layer = torch.nn.Dropout(p)
    torch_layer.eval()
    layer.eval()
    close(layer(mg.Tensor(x)).data, torch_layer(torch.tensor(x)))  # identity


def test_dropout_is_seeded_by_manual_seed_and_trains_after_eval():
    x = mg.Tensor(np.ones((8, 8)))
    model = nn.Sequential(nn.Dropout(0.5))
    mg.manual_seed(1)
    first = model(x).data
    mg.manual_seed(1)
    assert np.array_equal(first, model(x).data)
    assert not np.array_equal(first, model(x).data)  # a new draw each call
    model.eval()
    assert np.array_equal(model(x).data, x.data)
    model.train()
    assert (model(x).data == 0).any()


def test_dropout_gradcheck_with_a_fixed_mask(rng):
    x = mg.Tensor(f64(rng, 4, 5), requires_grad=True)

    def fn(t):
        mg.manual_seed(7)  # the same mask on every evaluation
        return F.dropout(t, 0.4)

    assert mg.gradcheck(fn, [x])


@pytest.mark.parametrize("p", [-0.1, 1.5, "half"])
def test_dropout_bad_p(p):
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(p)


# ---- BatchNorm1d and LayerNorm ---------------------------------------------------
def copy_params(ours, theirs):
    torch = torch_or_skip()
    with torch.no_grad():
        for (name, p), (tname, tp) in zip(ours.named_parameters(),
                                          theirs.named_parameters()):
            assert name == tname
            tp.copy_(torch.tensor(p.data))


BN_SETTINGS = [dict(), dict(momentum=None), dict(momentum=0.5, eps=1e-3),
               dict(affine=False), dict(track_running_stats=False)]


@pytest.mark.parametrize("settings", BN_SETTINGS, ids=str)
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3)])
def test_batchnorm1d_train_and_eval_match_torch(settings, shape, rng):
    torch = torch_or_skip()
    ours = nn.BatchNorm1d(4, dtype=np.float64, **settings)
    theirs = torch.nn.BatchNorm1d(4, dtype=torch.float64, **settings)
    if ours.weight is not None:
        ours.weight.data[...] = rng.uniform(0.5, 2, 4)
        ours.bias.data[...] = rng.standard_normal(4)
    copy_params(ours, theirs)
    for _ in range(3):  # the running statistics after several batches
        x = f64(rng, *shape, scale=2.0) + 1.0
        run_both(ours, theirs, x, rng)
        for p, tp in zip(ours.parameters(), theirs.parameters()):
            close(p.grad, tp.grad)
            p.grad, tp.grad = None, None
        ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
        assert list(ours_state) == list(theirs_state)
        for key in theirs_state:
            close(ours_state[key], theirs_state[key])
            assert ours_state[key].dtype == theirs_state[key].numpy().dtype
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, f64(rng, *shape), rng)


def test_batchnorm1d_loads_a_torch_state_dict_and_matches_in_eval(rng):
    torch = torch_or_skip()
    theirs = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    for _ in range(4):
        theirs(torch.tensor(f64(rng, 6, 3) * 3 + 2))
    ours = nn.BatchNorm1d(3, dtype=np.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked.data) == 4
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, f64(rng, 5, 3), rng)


@pytest.mark.parametrize("shape,normalized", [((6, 5), 5), ((3, 4, 5), (4, 5)),
                                              ((2, 3, 4), (4,))])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False),
                                         (False, False)])
def test_layernorm_matches_torch(shape, normalized, affine, bias, rng):
    torch = torch_or_skip()
    ours = nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias,
                        dtype=np.float64)
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine,
                                bias=bias, dtype=torch.float64)
    for p in ours.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    copy_params(ours, theirs)
    run_both(ours, theirs, f64(rng, *shape, scale=3.0), rng)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        close(p.grad, tp.grad)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.eval()
    theirs.eval()
    run_both(ours, theirs, f64(rng, *shape), rng)


@pytest.mark.parametrize("kind", ["batch_train", "batch_eval", "batch_3d",
                                  "layer", "plain"])
def test_normalisation_gradcheck_all_inputs(kind, rng):
    """The fused backward (docs/normalization.md) against central differences,
    for x, gamma and beta."""
    c = 4
    x = mg.Tensor(f64(rng, 6, c) * 2 + 1, requires_grad=True)
    gamma = mg.Tensor(rng.uniform(0.5, 2, c), requires_grad=True)
    beta = mg.Tensor(f64(rng, c), requires_grad=True)
    mean, var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    if kind == "batch_train":
        fn = lambda x, g, b: F.batch_norm(x, None, None, g, b)  # noqa: E731
    elif kind == "batch_eval":
        fn = lambda x, g, b: F.batch_norm(  # noqa: E731
            x, mean, var, g, b, training=False)
    elif kind == "batch_3d":
        x = mg.Tensor(f64(rng, 3, c, 5), requires_grad=True)
        fn = lambda x, g, b: F.batch_norm(x, None, None, g, b)  # noqa: E731
    elif kind == "layer":
        fn = lambda x, g, b: F.layer_norm(x, (c,), g, b)  # noqa: E731
    else:
        assert mg.gradcheck(lambda x: F.layer_norm(x, c), [x])
        assert mg.gradcheck(lambda x: F.batch_norm(x), [x])
        return
    assert mg.gradcheck(fn, [x, gamma, beta])


def test_batchnorm_normalises_and_refuses_one_value_per_channel():
    y = nn.BatchNorm1d(3, dtype=np.float64)(
        mg.Tensor(np.random.default_rng(0).standard_normal((50, 3)) * 5 + 3))
    np.testing.assert_allclose(y.data.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(0), 1, atol=1e-3)  # eps = 1e-5
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(mg.Tensor(np.ones((1, 3), np.float32)))
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        nn.BatchNorm1d(3)(mg.Tensor(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm1d(3, momentum=2)
    with pytest.raises(ValueError, match="last dimensions"):
        nn.LayerNorm(4)(mg.Tensor(np.ones((2, 3), np.float32)))


def test_batchnorm_float32_keeps_float32():
    bn = nn.BatchNorm1d(3)
    y = bn(mg.Tensor(np.random.default_rng(0).standard_normal((4, 3)),
                     dtype=np.float32))
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32


# ---- losses -------------------------------------------------------------------------
def class_case(rng, n=9, c=5, ignored=True):
    z = f64(rng, n, c, scale=3.0)
    t = rng.integers(0, c, n)
    if ignored:
        t[[1, 4]] = -100
    return z, t, rng.uniform(0.2, 3.0, c)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2, 1.0])
@pytest.mark.parametrize("ignored", [False, True])
def test_cross_entropy_options_match_torch(reduction, weighted, smoothing,
                                           ignored, rng):
    torch = torch_or_skip()
    z, t, w = class_case(rng, ignored=ignored)
    kw = dict(weight=w if weighted else None, label_smoothing=smoothing)
    tkw = dict(weight=torch.tensor(w) if weighted else None,
               label_smoothing=smoothing)
    run_both(lambda a: F.cross_entropy(a, t, reduction, **kw),
             lambda b: torch.nn.functional.cross_entropy(
                 b, torch.tensor(t), reduction=reduction, **tkw), z, rng)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss_matches_torch_and_composes_to_cross_entropy(reduction,
                                                              weighted, rng):
    torch = torch_or_skip()
    z, t, w = class_case(rng, ignored=False)
    t[3] = 7  # another ignore_index
    w = w if weighted else None
    run_both(lambda a: F.nll_loss(a, t, reduction, weight=w, ignore_index=7),
             lambda b: torch.nn.functional.nll_loss(
                 b, torch.tensor(t), reduction=reduction, ignore_index=7,
                 weight=None if w is None else torch.tensor(w)), z, rng)
    t[3] = 0
    x = mg.Tensor(z)
    close(F.nll_loss(F.log_softmax(x), t, reduction, weight=w).data,
          F.cross_entropy(x, t, reduction, weight=w).data)


def test_classification_losses_gradcheck(rng):
    z, t, w = class_case(rng)
    x = mg.Tensor(z, requires_grad=True)
    assert mg.gradcheck(lambda a: F.cross_entropy(
        a, t, weight=w, label_smoothing=0.1), [x])
    assert mg.gradcheck(lambda a: F.cross_entropy(a, t, "none"), [x])
    assert mg.gradcheck(lambda a: F.nll_loss(a, t, "sum", weight=w), [x])


def test_cross_entropy_all_ignored_mean_is_nan_as_torch():
    y = F.cross_entropy(mg.Tensor(np.zeros((2, 3))), np.array([-100, -100]))
    assert np.isnan(y.item())


@pytest.mark.parametrize("call,error,match", [
    (lambda z: F.cross_entropy(z, np.array([0, 3])), ValueError, r"\[0, 3\)"),
    (lambda z: F.cross_entropy(z, np.array([0, 1]), weight=[1.0]), ValueError,
     "one per class"),
    (lambda z: F.cross_entropy(z, np.array([0, 1]), label_smoothing=1.5),
     ValueError, "label_smoothing"),
    (lambda z: F.nll_loss(z, np.array([0.0, 1.0])), TypeError, "integer"),
    (lambda z: F.cross_entropy(z, np.array([0, 1]), "avg"), ValueError,
     "reduction"),
])
def test_classification_losses_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.Tensor(np.zeros((2, 3))))


REGRESSION = {
    "l1": (lambda a, t, r: F.l1_loss(a, t, r),
           lambda T, b, t, r: T.nn.functional.l1_loss(b, t, reduction=r)),
    "mse": (lambda a, t, r: F.mse_loss(a, t, r),
            lambda T, b, t, r: T.nn.functional.mse_loss(b, t, reduction=r)),
    "huber": (lambda a, t, r: F.huber_loss(a, t, r, delta=0.7),
              lambda T, b, t, r: T.nn.functional.huber_loss(
                  b, t, reduction=r, delta=0.7)),
    "smooth_l1": (lambda a, t, r: F.smooth_l1_loss(a, t, r, beta=1.5),
                  lambda T, b, t, r: T.nn.functional.smooth_l1_loss(
                      b, t, reduction=r, beta=1.5)),
    "smooth_l1_beta0": (lambda a, t, r: F.smooth_l1_loss(a, t, r, beta=0.0),
                        lambda T, b, t, r: T.nn.functional.smooth_l1_loss(
                            b, t, reduction=r, beta=0.0)),
    "bce_logits": (lambda a, t, r: F.binary_cross_entropy_with_logits(a, t, r),
                   lambda T, b, t, r:
                   T.nn.functional.binary_cross_entropy_with_logits(
                       b, t, reduction=r)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_torch_for_both_inputs(name, reduction, rng):
    """Gradients flow to the prediction and to a target that requires grad."""
    torch = torch_or_skip()
    ours, theirs = REGRESSION[name]
    x, target = f64(rng, 6, 3, scale=2.0), f64(rng, 6, 3)
    if name == "bce_logits":
        target = rng.uniform(0, 1, (6, 3))
    x[0, :2] = target[0, :2]  # d = 0 exactly: the kink of l1/huber
    (a, b), (ta, tb) = both(x), both(target)
    ya, yb = ours(a, ta, reduction), theirs(torch, b, tb, reduction)
    close(ya.data, yb)
    g = rng.standard_normal(ya.shape)
    ya.backward(g)
    yb.backward(torch.tensor(g))
    close(a.grad, b.grad)
    close(ta.grad, tb.grad)


@pytest.mark.parametrize("name", ["huber", "smooth_l1", "l1"])
def test_regression_losses_gradcheck(name, rng):
    ours, _ = REGRESSION[name]
    x = mg.Tensor(f64(rng, 4, 3, scale=2.0), requires_grad=True)
    t = mg.Tensor(f64(rng, 4, 3), requires_grad=True)
    assert mg.gradcheck(lambda a, b: ours(a, b, "mean"), [x, t])


@pytest.mark.parametrize("call", [lambda a: F.huber_loss(a, a.data, delta=0),
                                  lambda a: F.smooth_l1_loss(a, a.data, beta=-1)])
def test_huber_bad_delta(call):
    with pytest.raises(ValueError, match="finite and"):
        call(mg.Tensor(np.zeros(3)))


# ---- gradient clipping ------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, 0.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.1, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, rng):
    torch = torch_or_skip()
    grads = [f64(rng, 3, 4), f64(rng, 5), f64(rng, 2, 2, 2)]
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
              for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = g.copy(), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, tp in zip(ours, theirs):
        close(p.grad, tp.grad)


def test_clip_grad_value_matches_torch(rng):
    torch = torch_or_skip()
    g = f64(rng, 4, 4)
    p, tp = nn.Parameter(np.zeros((4, 4))), torch.zeros((4, 4), requires_grad=True,
                                                         dtype=torch.float64)
    p.grad, tp.grad = g.copy(), torch.tensor(g)
    nn.utils.clip_grad_value_([p], 0.5)
    torch.nn.utils.clip_grad_value_([tp], 0.5)
    close(p.grad, tp.grad)


@pytest.mark.parametrize("norm_type,error", [(0, ValueError), (-2, ValueError),
                                             (math.nan, ValueError),
                                             (True, TypeError), ("2", TypeError)])
def test_clip_grad_norm_bad_norm_type(norm_type, error):
    p = nn.Parameter(np.ones(2))
    p.grad = np.ones(2)
    with pytest.raises(error, match="norm_type"):
        nn.utils.clip_grad_norm_([p], 1.0, norm_type)
    assert np.array_equal(p.grad, np.ones(2))


LOSS_MODULES = [
    ("CrossEntropyLoss", dict(ignore_index=2, label_smoothing=0.1), "class"),
    ("CrossEntropyLoss", dict(reduction="none"), "class"),
    ("NLLLoss", dict(reduction="sum"), "class"),
    ("MSELoss", dict(), "real"), ("L1Loss", dict(reduction="sum"), "real"),
    ("HuberLoss", dict(delta=0.5), "real"),
    ("SmoothL1Loss", dict(beta=2.0, reduction="none"), "real"),
    ("BCEWithLogitsLoss", dict(), "prob"),
]


@pytest.mark.parametrize("name,options,target", LOSS_MODULES,
                         ids=[f"{n}-{o}" for n, o, _ in LOSS_MODULES])
def test_loss_modules_match_torch(name, options, target, rng):
    torch = torch_or_skip()
    x = f64(rng, 6, 4)
    t = {"class": rng.integers(0, 4, 6), "real": f64(rng, 6, 4),
         "prob": rng.uniform(0, 1, (6, 4))}[target]
    ours, theirs = getattr(nn, name)(**options), getattr(torch.nn, name)(**options)
    run_both(lambda a: ours(a, t), lambda b: theirs(b, torch.tensor(t)), x, rng)
    assert name in repr(ours)


def test_normalisation_on_random_shapes_matches_torch():
    """Hypothesis draws shapes, scales and eps (bounded, derandomized)."""
    torch = torch_or_skip()
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=30, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(n=st.integers(2, 9), c=st.integers(1, 6), length=st.integers(0, 4),
           scale=st.floats(1e-3, 1e3), eps=st.sampled_from([1e-5, 1e-3, 0.1]),
           seed=st.integers(0, 2 ** 16))
    def check(n, c, length, scale, eps, seed):
        rng = np.random.default_rng(seed)
        shape = (n, c) if length == 0 else (n, c, length)
        x = f64(rng, *shape, scale=scale) + rng.standard_normal()
        gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
        tg, tb = torch.tensor(gamma), torch.tensor(beta)
        run_both(lambda a: F.batch_norm(a, None, None, gamma, beta, eps=eps),
                 lambda b: torch.nn.functional.batch_norm(
                     b, None, None, tg, tb, training=True, eps=eps),
                 x, rng)
        run_both(lambda a: F.layer_norm(a, shape[1:], eps=eps),
                 lambda b: torch.nn.functional.layer_norm(b, shape[1:], eps=eps),
                 x, rng)

    check()


def test_flatten_gradcheck(rng):
    x = mg.Tensor(f64(rng, 2, 3, 4), requires_grad=True)
    assert mg.gradcheck(nn.Flatten(), [x])
    assert mg.gradcheck(nn.Flatten(0, 1), [x])


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, 4.0)])
def test_softplus_at_exactly_the_threshold_is_torchs(beta, threshold, rng):
    """torch switches to the identity only where beta * x > threshold."""
    torch = torch_or_skip()
    x = np.array([threshold / beta, np.nextafter(threshold / beta, 0), 0.0])
    run_both(lambda t: F.softplus(t, beta, threshold),
             lambda t: torch.nn.functional.softplus(t, beta, threshold), x, rng)
