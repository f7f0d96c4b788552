"""Second derivatives: every op twice differentiable, checked against
PyTorch float64 (to 1e-10) and by gradgradcheck; mg.grad, create_graph,
hvp/vhp/hessian/jacobian with torch.autograd.functional's semantics."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF_ = pytest.importorskip("torch.nn.functional")
TF = pytest.importorskip("torch.autograd.functional")

TOL = dict(rtol=1e-10, atol=1e-10)


def pair(values):
    values = np.asarray(values, dtype=np.float64)
    return (mg.Tensor(values.copy(), requires_grad=True),
            torch.tensor(values, requires_grad=True))


# op name -> (minigrad fn, torch fn, input arrays); ties and kinks included
R = np.random.default_rng(0)
X = R.standard_normal((3, 4))
POS = R.uniform(0.5, 2.0, (3, 4))
TIES = np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0], [0.0, -4.0, 1.0, 1.0]])
OPS = {
    "exp": (mg.exp, torch.exp, [X]),
    "log": (mg.log, torch.log, [POS]),
    "sqrt": (mg.sqrt, torch.sqrt, [POS]),
    "tanh": (mg.tanh, torch.tanh, [X]),
    "sigmoid": (mg.sigmoid, torch.sigmoid, [X * 5]),
    "abs": (mg.abs, torch.abs, [np.r_[X.ravel(), 0.0]]),
    "relu": (mg.relu, torch.relu, [np.r_[X.ravel(), 0.0]]),
    "neg": (lambda x: -x, lambda x: -x, [X]),
    "pow const": (lambda x: x ** 3, lambda x: x ** 3, [X]),
    "pow 0 and 1": (lambda x: x ** 0 + x ** 1, lambda x: x ** 0 + x ** 1,
                    [np.r_[X.ravel(), 0.0]]),
    "pow both": (lambda a, b: a ** b, lambda a, b: a ** b, [POS, X]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [X, POS[:1]]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [X, POS]),
    "add sub": (lambda a, b: (a + b) * (a - b), lambda a, b: (a + b) * (a - b),
                [X, POS[:, :1]]),
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [X, POS.T]),
    "matmul 1-d": (lambda a, b: (a @ b) * (a @ b), lambda a, b: (a @ b) * (a @ b),
                   [X[0], POS.T]),
    "batched matmul": (lambda a, b: a @ b, lambda a, b: a @ b,
                       [R.standard_normal((2, 3, 4)), R.standard_normal((4, 2))]),
    "max ties": (lambda x: x.max(axis=1) ** 2, lambda x: x.amax(dim=1) ** 2, [TIES]),
    "min ties": (lambda x: x.min() ** 2, lambda x: x.amin() ** 2, [TIES]),
    "maximum ties": (lambda a, b: mg.maximum(a, b) ** 2,
                     lambda a, b: torch.maximum(a, b) ** 2, [TIES, TIES[::-1].copy()]),
    "minimum ties": (lambda a, b: mg.minimum(a, b) ** 2,
                     lambda a, b: torch.minimum(a, b) ** 2, [TIES, TIES[::-1].copy()]),
    "clip": (lambda x: mg.clip(x, -0.5, 1.0) ** 2,
             lambda x: torch.clamp(x, -0.5, 1.0) ** 2, [X]),
    "where": (lambda a, b: mg.where(X > 0, a * a, b * a),
              lambda a, b: torch.where(torch.tensor(X > 0), a * a, b * a), [X, POS]),
    "sum mean": (lambda x: x.sum(axis=0) ** 2 + x.mean(axis=-1, keepdims=True),
                 lambda x: x.sum(dim=0) ** 2 + x.mean(dim=-1, keepdim=True), [X]),
    "reshape transpose": (lambda x: x.reshape(4, 3).transpose(-1, 0) ** 3,
                          lambda x: x.reshape(4, 3).permute(1, 0) ** 3, [X]),
    "getitem basic": (lambda x: x[1:, None, 1::2] ** 3,
                      lambda x: x[1:, None, 1::2] ** 3, [X]),
    "getitem advanced": (lambda x: x[[0, 0, 2], [1, 1, 3]] ** 3,
                         lambda x: x[[0, 0, 2], [1, 1, 3]] ** 3, [X]),
    "getitem mask": (lambda x: x[X > 0] ** 3, lambda x: x[torch.tensor(X > 0)] ** 3,
                     [X]),
    "concatenate": (lambda a, b: mg.concatenate([a * b, b], axis=-1) ** 2,
                    lambda a, b: torch.cat([a * b, b], dim=-1) ** 2, [X, POS]),
    "stack": (lambda a, b: mg.stack([a * b, a], axis=1) ** 2,
              lambda a, b: torch.stack([a * b, a], dim=1) ** 2, [X, POS]),
    "broadcast": (lambda a, b: (a * b).tanh(), lambda a, b: (a * b).tanh(),
                  [X[:, :1], POS[0]]),
    # the fused linear op, squared so its second derivative is not zero
    "linear": (lambda x, w, b: F.linear(x, w, b) ** 2,
               lambda x, w, b: TF_.linear(x, w, b) ** 2, [X, POS[:2], X[0, :2]]),
    "linear 1-d no bias": (lambda x, w: F.linear(x, w) ** 2,
                           lambda x, w: TF_.linear(x, w) ** 2, [X[0], POS]),
    "linear 3-d": (lambda x, w, b: F.linear(x, w, b).tanh(),
                   lambda x, w, b: TF_.linear(x, w, b).tanh(),
                   [R.standard_normal((2, 3, 4)), POS[:2], X[1, :2]]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivatives_match_torch(name):
    fm, ft, arrays = OPS[name]
    ms, ts = zip(*(pair(a) for a in arrays))
    ym, yt = fm(*ms), ft(*ts)
    np.testing.assert_allclose(ym.data, yt.detach().numpy(), **TOL)
    rng = np.random.default_rng(1)
    c = rng.standard_normal(ym.shape)
    gm = mg.grad((ym * c).sum(), ms, create_graph=True)
    gt = torch.autograd.grad((yt * torch.tensor(c)).sum(), ts, create_graph=True)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    for g, h in zip(gm, gt):
        np.testing.assert_allclose(g.data, h.detach().numpy(), **TOL)
    # d/dx of <g, v>: a Hessian-vector product (mixed terms across inputs)
    used = [(g, v) for g, v in zip(gm, vs) if g.requires_grad]
    used_t = [(g, v) for g, v in zip(gt, vs) if g.requires_grad]
    hm = mg.grad(sum((g * v).sum() for g, v in used), ms, allow_unused=True) \
        if used else [None] * len(ms)  # a constant gradient (abs, relu)
    ht = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in used_t),
                             ts, allow_unused=True) if used_t else [None] * len(ts)
    for a, b, arr in zip(hm, ht, arrays):
        expected = (np.zeros(arr.shape) if b is None or b._is_zerotensor()
                    else b.detach().numpy())  # (numpy() of a ZeroTensor crashes)
        got = np.zeros(arr.shape) if a is None else a.data
        np.testing.assert_allclose(got, expected, **TOL)


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid", "pow both",
                                  "div", "matmul", "getitem advanced",
                                  "concatenate", "broadcast", "sum mean",
                                  "linear", "linear 3-d"])
def test_gradgradcheck_passes_on_smooth_ops(name):
    fm, _, arrays = OPS[name]
    ms = [mg.Tensor(a.copy(), requires_grad=True) for a in arrays]
    assert mg.gradgradcheck(fm, ms)


def test_gradgradcheck_reports_a_wrong_second_derivative():
    from minigrad.autograd import Function

    class BadSquare(Function):  # right first derivative, wrong second
        label = "bad_square"
        differentiable_backward = True

        def forward(self, x):
            return x * x

        def backward(self, gy):
            x, = self.args
            return gy * 2 * (x if isinstance(x, np.ndarray) else x.detach())

    x = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert mg.gradcheck(lambda x: BadSquare()(x), [x])
    with pytest.raises(mg.GradcheckError):
        mg.gradgradcheck(lambda x: BadSquare()(x), [x])
    assert mg.gradgradcheck(lambda x: BadSquare()(x), [x],
                            raise_exception=False) is False


# ---- mg.grad -------------------------------------------------------------
def test_grad_leaves_dot_grad_alone_and_accepts_non_leaves():
    x, _ = pair([1.0, 2.0])
    h = x * x
    y = (h * 3.0).sum()
    gx, gh = mg.grad(y, [x, h])
    np.testing.assert_array_equal(gx.data, [6.0, 12.0])
    np.testing.assert_array_equal(gh.data, [3.0, 3.0])
    assert x.grad is None and h.grad is None and gx.creator is None


def test_grad_unused_input_raises_unless_allowed():
    x, _ = pair([1.0])
    z, _ = pair([2.0])
    y = (x * 2.0).sum()
    with pytest.raises(RuntimeError, match="not have been used in the graph"):
        mg.grad(y, [x, z], retain_graph=True)
    assert mg.grad(y, [x, z], allow_unused=True)[1] is None


def test_grad_with_several_outputs_and_grad_outputs():
    (x, xt) = pair([1.0, -2.0])
    outs = [x * x, x.exp()]
    v = [np.array([1.0, 2.0]), np.array([0.5, -1.0])]
    g, = mg.grad(outs, x, [mg.Tensor(a) for a in v])
    gt, = torch.autograd.grad([xt * xt, xt.exp()], xt, [torch.tensor(a) for a in v])
    np.testing.assert_allclose(g.data, gt.numpy(), **TOL)


def test_grad_frees_the_graph_unless_retained():
    x, _ = pair([1.0])
    y = (x * x).sum()
    mg.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        mg.grad(y, x)


def test_third_derivative():
    x, xt = pair([0.3, -1.2])
    g, = mg.grad(mg.tanh(x).sum(), x, create_graph=True)
    g2, = mg.grad(g.sum(), x, create_graph=True)
    g3, = mg.grad(g2.sum(), x)
    t, = torch.autograd.grad(torch.tanh(xt).sum(), xt, create_graph=True)
    t2, = torch.autograd.grad(t.sum(), xt, create_graph=True)
    t3, = torch.autograd.grad(t2.sum(), xt)
    np.testing.assert_allclose(g3.data, t3.numpy(), **TOL)


def test_backward_create_graph_keeps_grad_an_array_and_grad_tensor_differentiable():
    x, xt = pair([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, np.ndarray)
    np.testing.assert_array_equal(x.grad, [3.0, 12.0])
    g = x.grad_tensor
    assert isinstance(g, mg.Tensor) and g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 12.0])  # d(3x^2)/dx
    (xt ** 3).sum().backward(create_graph=True)
    np.testing.assert_array_equal(xt.grad.detach().numpy(), [3.0, 12.0])


def test_a_user_function_with_a_first_order_backward_is_refused():
    from minigrad.autograd import Function

    class Cube(Function):
        label = "cube"

        def forward(self, x):
            return x ** 3

        def backward(self, gy):
            return gy * 3 * self.inputs[0].data ** 2

    x, _ = pair([1.0])
    with pytest.raises(RuntimeError, match="'cube' \\(Cube\\) has a first-order"):
        mg.grad(Cube()(x).sum(), x, create_graph=True)
    assert mg.grad(Cube()(x).sum(), x)[0].data == 3.0  # first order is fine


# ---- torch.autograd.functional semantics ----------------------------------
def _f(x):
    return (x ** 3).sum() + (x[0] * x[1]).tanh() + (x * x[::-1]).exp().sum()


def _ft(x):
    return (x ** 3).sum() + (x[0] * x[1]).tanh() + (x * x.flip(0)).exp().sum()


def test_hessian_hvp_vhp_jacobian_match_torch():
    x = np.array([0.4, -1.0, 0.7])
    v = np.array([1.0, -2.0, 0.5])
    xm, xt, vm, vt = mg.Tensor(x), torch.tensor(x), mg.Tensor(v), torch.tensor(v)
    np.testing.assert_allclose(mg.hessian(_f, xm).data,
                               TF.hessian(_ft, xt).numpy(), **TOL)
    for mine, theirs in ((mg.hvp, TF.hvp), (mg.vhp, TF.vhp)):
        (y, hv), (yt, hvt) = mine(_f, xm, vm), theirs(_ft, xt, vt)
        np.testing.assert_allclose(y.data, yt.numpy(), **TOL)
        np.testing.assert_allclose(hv.data, hvt.numpy(), **TOL)
    jac = mg.jacobian(lambda x: x.tanh() * x[0], xm)
    np.testing.assert_allclose(jac.data, TF.jacobian(lambda x: x.tanh() * x[0],
                                                     xt).numpy(), **TOL)
    assert not xm.requires_grad and xm.grad is None  # inputs untouched


def test_functional_api_with_tuples_matches_torch():
    a, b = np.array([0.5, -0.3]), np.array([[1.0, 2.0], [0.3, -0.4]])

    def f(x, w):
        return ((w @ x).tanh() ** 2).sum()

    def g(x, w):
        return (w @ x).tanh(), x * 2.0

    ms, ts = (mg.Tensor(a), mg.Tensor(b)), (torch.tensor(a), torch.tensor(b))
    hm, ht = mg.hessian(f, ms), TF.hessian(f, ts)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(hm[i][j].data, ht[i][j].numpy(), **TOL)
    jm, jt = mg.jacobian(g, ms), TF.jacobian(g, ts)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(jm[i][j].data, jt[i][j].numpy(), **TOL)
    vs = (np.array([1.0, 0.5]), np.ones((2, 2)))
    (_, hv), (_, hvt) = (mg.hvp(f, ms, tuple(mg.Tensor(v) for v in vs)),
                         TF.hvp(f, ts, tuple(torch.tensor(v) for v in vs)))
    for m, t in zip(hv, hvt):
        np.testing.assert_allclose(m.data, t.numpy(), **TOL)


def test_hessian_create_graph_gives_third_derivatives():
    x = mg.Tensor(np.array([0.2, 0.5]), requires_grad=True)
    h = mg.hessian(lambda x: (x ** 4).sum(), x, create_graph=True)  # diag(12 x^2)
    (d,) = mg.grad(h.sum(), x)
    np.testing.assert_allclose(d.data, 24 * x.data, **TOL)


def test_hessian_refuses_a_non_scalar_function():
    with pytest.raises(RuntimeError, match="single-element"):
        mg.hessian(lambda x: x * x, mg.Tensor(np.ones(2)))


def test_hvp_is_two_backward_passes_not_a_hessian(monkeypatch):
    import minigrad.higher_order as ho

    calls = []
    real = ho.grad
    monkeypatch.setattr(ho, "grad", lambda *a, **k: calls.append(1) or real(*a, **k))
    x = mg.Tensor(np.arange(50.0) / 50)
    _, hv = mg.hvp(lambda x: (x.tanh() ** 2).sum(), x, mg.Tensor(np.ones(50)))
    assert len(calls) == 2 and hv.shape == (50,)


# ---- the fused ops of nn.functional ----------------------------------------
def _nn_cases():
    F = pytest.importorskip("minigrad.nn.functional")
    TFn = torch.nn.functional
    targets = np.array([2, 0, 3])
    probs = R.uniform(0, 1, (3, 4))
    return {
        "softmax": (lambda x: F.softmax(x, axis=-1), lambda x: TFn.softmax(x, -1)),
        "log_softmax": (lambda x: F.log_softmax(x, axis=0),
                        lambda x: TFn.log_softmax(x, 0)),
        "logsumexp": (lambda x: F.logsumexp(x, axis=1),
                      lambda x: torch.logsumexp(x, 1)),
        "logsumexp keepdims": (lambda x: F.logsumexp(x, axis=0, keepdims=True),
                               lambda x: torch.logsumexp(x, 0, keepdim=True)),
        "cross_entropy": (lambda x: F.cross_entropy(x, targets),
                          lambda x: TFn.cross_entropy(x, torch.tensor(targets))),
        "cross_entropy sum smoothing": (
            lambda x: F.cross_entropy(x, targets, reduction="sum",
                                      label_smoothing=0.1),
            lambda x: TFn.cross_entropy(x, torch.tensor(targets), reduction="sum",
                                        label_smoothing=0.1)),
        "bce_with_logits": (
            lambda x: F.binary_cross_entropy_with_logits(x, probs),
            lambda x: TFn.binary_cross_entropy_with_logits(x, torch.tensor(probs))),
        "bce none": (
            lambda x: F.binary_cross_entropy_with_logits(x, probs, reduction="none"),
            lambda x: TFn.binary_cross_entropy_with_logits(x, torch.tensor(probs),
                                                          reduction="none")),
    }


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp",
                                  "logsumexp keepdims", "cross_entropy",
                                  "cross_entropy sum smoothing", "bce_with_logits",
                                  "bce none"])
def test_fused_nn_ops_second_derivatives_match_torch(name):
    fm, ft = _nn_cases()[name]
    xm, xt = pair(X * 2)
    ym, yt = fm(xm), ft(xt)
    c = np.random.default_rng(2).standard_normal(ym.shape)
    (g,) = mg.grad((ym * c).sum(), xm, create_graph=True)
    (gt,) = torch.autograd.grad((yt * torch.tensor(c)).sum(), xt, create_graph=True)
    np.testing.assert_allclose(g.data, gt.detach().numpy(), **TOL)
    v = np.random.default_rng(3).standard_normal(X.shape)
    (h,) = mg.grad((g * v).sum(), xm)
    (ht,) = torch.autograd.grad((gt * torch.tensor(v)).sum(), xt)
    np.testing.assert_allclose(h.data, ht.numpy(), **TOL)
    assert mg.gradgradcheck(fm, [mg.Tensor(X * 2, requires_grad=True)])


# ---- Newton's method in `minigrad paths` ------------------------------------
def test_newton_finds_the_ravine_minimum_in_one_step_and_the_saddle_traps_it():
    from minigrad.viz.newton import newton_path
    from minigrad.viz.surfaces import SURFACES, path_losses

    ravine, saddle = SURFACES["ravine"], SURFACES["saddle"]
    path = newton_path(ravine, "newton", steps=3)
    np.testing.assert_allclose(path[1], [0.0, 0.0], atol=1e-12)  # quadratic
    trapped = newton_path(saddle, "newton")
    np.testing.assert_allclose(trapped[-1], [0.0, 0.0], atol=1e-12)  # the saddle
    escaped = newton_path(saddle, "damped-newton")
    np.testing.assert_allclose(escaped[-1], saddle.minimum, atol=1e-9)
    assert path_losses(saddle, escaped)[-1] < 1e-12
    # damped Newton goes downhill at every step; Newton does not at the saddle
    assert np.all(np.diff(path_losses(saddle, escaped)) <= 1e-15)
    assert path_losses(saddle, trapped)[-1] == pytest.approx(0.25)  # f(saddle)


def test_newton_step_uses_minigrads_hessian_of_the_formula():
    from minigrad.viz.newton import newton_step

    def f(p):  # Rosenbrock: compare with the hand-derived Hessian
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    x, y = -1.2, 1.0
    g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    h = np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]])
    np.testing.assert_allclose(newton_step(f, np.array([x, y])),
                               np.linalg.solve(h, g), rtol=1e-12)


def test_paths_command_runs_newton_beside_the_optimizers(capsys):
    from minigrad.cli import main

    assert main(["paths", "--surface", "saddle", "--optimizer",
                 "sgd,newton,damped-newton", "--no-plot"]) == 0
    table = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in table.splitlines()
            if line.split() and line.split()[0] in ("SGD", "newton",
                                                    "damped-newton")}
    assert rows["newton"][2:4] == ["(0.000,", "0.000)"]  # stuck on the saddle
    assert rows["damped-newton"][2:4] == ["(0.000,", "1.000)"]


# ---- examples/edge_of_stability.py: sharpness by power iteration on mg.hvp ----
def _eos():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "examples" / "edge_of_stability.py"
    spec = importlib.util.spec_from_file_location("edge_of_stability", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_power_iteration_on_hvp_finds_the_top_hessian_eigenvalue():
    eos = _eos()
    mg.manual_seed(0)
    params = [mg.Tensor(np.random.default_rng(k).standard_normal(s) * 0.5)
              for k, s in enumerate([(16, 2), (16,), (1, 16), (1,)])]
    blocks = mg.hessian(eos.loss_of, tuple(params))
    sizes = [p.size for p in params]
    h = np.block([[blocks[i][j].data.reshape(sizes[i], sizes[j])
                   for j in range(4)] for i in range(4)])
    top = np.linalg.eigvalsh(h)[-1]
    assert eos.sharpness(params, iters=200) == pytest.approx(top, rel=1e-6)


def test_small_lr_sharpens_and_too_large_lr_diverges():
    eos = _eos()
    with np.errstate(all="ignore"):
        rows = eos.train(0.1, 200, 50)          # stable: lambda_max << 2/lr = 20
        steps, losses, lams = zip(*rows)
        assert all(np.diff(lams) > 0) and all(np.diff(losses) < 0)
        assert max(lams) < 20 and lams[0] == pytest.approx(10.4, rel=0.02)
        blown = eos.train(0.5, 50, 50)          # lambda_max(0) > 2/lr = 4
    assert blown[0][2] > 4 and not blown[-1][1] < 1e10


@pytest.mark.slow
def test_in_between_the_sharpness_hovers_at_2_over_lr():
    eos = _eos()
    rows = eos.train(0.25, 400, 25)
    later = [lam for step, _, lam in rows if step >= 100]
    assert rows[0][2] > 8                                  # starts too sharp
    assert 0.7 * 8 < np.median(later) < 1.3 * 8            # then near 2/lr
    assert rows[-1][1] < rows[0][1] / 5                    # and still learns


def test_engine_files_import_only_those_above_them_but_for_the_one_seam():
    """docs/autograd.md: each engine file imports only the ones above it in
    its table; tensor.py's one upward reference is the marked seam."""
    import ast
    import pathlib

    order = ["tensor", "autograd", "ops_math", "ops_shape", "backward", "functions"]
    root = pathlib.Path(mg.__file__).parent
    upward = []
    for rank, name in enumerate(order):
        tree = ast.parse((root / f"{name}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                targets = [node.module] if node.module else [a.name for a in node.names]
                upward += [(name, t, node.lineno) for t in targets
                           if t in order and order.index(t) >= rank]
    assert upward == [("tensor", "functions", _seam_line(root))]


def _seam_line(root):
    lines = (root / "tensor.py").read_text().splitlines()
    seam = next(i for i, line in enumerate(lines) if "the one seam" in line)
    return seam + 1 + next(i for i, line in enumerate(lines[seam:])
                           if "from . import functions" in line)


def test_leaky_relu_and_dropout_are_twice_differentiable():
    F = pytest.importorskip("minigrad.nn.functional")
    x, xt = pair(np.r_[X.ravel(), 0.0])
    (g,) = mg.grad((F.leaky_relu(x, 0.2) ** 3).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    (gt,) = torch.autograd.grad((torch.nn.functional.leaky_relu(xt, 0.2) ** 3).sum(),
                                xt, create_graph=True)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(h.data, ht.numpy(), **TOL)
    mg.manual_seed(0)
    y = F.dropout(x, 0.5)
    scale = y.creator.scale
    (g,) = mg.grad((y ** 2).sum(), x, create_graph=True)   # 2 y * scale
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 2 * scale * scale, **TOL)
