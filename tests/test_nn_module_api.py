"""The Module API of issue 19 (buffers, children, apply, requires_grad_,
train/eval everywhere) and MLP(dropout=, norm=), against torch.nn where torch
has the same thing."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import F


def torch_or_skip():
    return pytest.importorskip("torch")


class WithBuffers(nn.Module):
    def __init__(self):
        self.lin = nn.Linear(2, 2)
        self.register_buffer("count", np.zeros(3))
        self.register_buffer("scratch", np.ones(2), persistent=False)
        self.register_buffer("maybe", None)


def test_buffers_are_state_not_parameters():
    model = nn.Sequential(WithBuffers(), nn.BatchNorm1d(2))
    assert [n for n, _ in model.named_parameters()] == [
        "0.lin.weight", "0.lin.bias", "1.weight", "1.bias"]
    assert [n for n, _ in model.named_buffers()] == [
        "0.count", "0.scratch", "1.running_mean", "1.running_var",
        "1.num_batches_tracked"]
    state = model.state_dict()
    assert list(state) == ["0.lin.weight", "0.lin.bias", "1.weight", "1.bias",
                           "0.count", "1.running_mean", "1.running_var",
                           "1.num_batches_tracked"]  # scratch: not persistent
    assert all(not b.requires_grad for b in model.buffers())
    source = np.arange(3.0)
    holder = WithBuffers()
    holder.register_buffer("count", source)
    source[0] = 9
    assert holder.count.data[0] == 0  # copied


def test_buffers_round_trip_and_load_all_or_nothing():
    a, b = nn.BatchNorm1d(3, dtype=np.float64), nn.BatchNorm1d(3, dtype=np.float64)
    a(mg.Tensor(np.random.default_rng(0).standard_normal((5, 3))))
    b.load_state_dict(a.state_dict())
    for key, value in a.state_dict().items():
        assert np.array_equal(b.state_dict()[key], value)
    before = {k: v.copy() for k, v in b.state_dict().items()}
    bad = dict(a.state_dict(), running_var=np.ones(4))
    with pytest.raises(ValueError, match="running_var"):
        b.load_state_dict(bad)
    assert all(np.array_equal(before[k], v) for k, v in b.state_dict().items())
    with pytest.raises(KeyError, match="num_batches_tracked"):
        b.load_state_dict({k: v for k, v in a.state_dict().items()
                           if k != "num_batches_tracked"})


@pytest.mark.parametrize("name,value,error", [
    ("bad name", np.ones(1), TypeError), ("lin", np.ones(1), KeyError),
    ("x", [1.0], TypeError)])
def test_register_buffer_bad_arguments(name, value, error):
    with pytest.raises(error):
        WithBuffers().register_buffer(name, value)


def cs231n_pair(torch, sizes=(6, 10, 8, 4), p=0.0, norm="batch"):
    """Our MLP and the torch Sequential it spells out, with equal weights."""
    mg.manual_seed(0)
    ours = nn.MLP(list(sizes), norm=norm, dropout=p, dtype=np.float64)
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(a, b, dtype=torch.float64))
        if i < len(sizes) - 2:
            layers.append(torch.nn.BatchNorm1d(b, dtype=torch.float64)
                          if norm == "batch" else
                          torch.nn.LayerNorm(b, dtype=torch.float64))
            layers.append(torch.nn.ReLU())
            if p:
                layers.append(torch.nn.Dropout(p))
    theirs = torch.nn.Sequential(*layers)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in
                            ours.state_dict().items()})
    return ours, theirs


def test_module_walks_name_what_torch_names():
    torch = torch_or_skip()
    ours, theirs = cs231n_pair(torch, p=0.2)
    assert [n for n, _ in ours.named_modules()] == [
        n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [
        n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.children()] == [
        type(m).__name__ for m in theirs.children()]
    # the same keys (torch lists each module's buffers after its parameters,
    # we list all parameters first, then all buffers)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters())
    seen, seen_torch = [], []
    ours.apply(lambda m: seen.append(type(m).__name__))
    theirs.apply(lambda m: seen_torch.append(type(m).__name__))
    assert seen[:-1] == seen_torch[:-1]  # children first, the root last
    assert (seen[-1], seen_torch[-1]) == ("MLP", "Sequential")


@pytest.mark.parametrize("norm", ["batch", "layer"])
@pytest.mark.parametrize("p", [0.0, 0.5])
def test_mlp_with_norm_trains_and_evaluates_as_torch(norm, p, rng):
    """Three SGD steps in train mode (dropout 0: same numbers; dropout 0.5:
    eval after training) then eval: outputs, gradients, running statistics."""
    torch = torch_or_skip()
    ours, theirs = cs231n_pair(torch, p=p, norm=norm)
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9, backend="numpy")
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    X, y = rng.standard_normal((16, 6)), rng.integers(0, 4, 16)
    for _ in range(3):
        if p:  # the dropout masks differ: train both on the mask-free path
            ours.eval()
            theirs.eval()
        loss = F.cross_entropy(ours(mg.Tensor(X)), y)
        tloss = torch.nn.functional.cross_entropy(theirs(torch.tensor(X)),
                                                  torch.tensor(y))
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
        opt.zero_grad()
        topt.zero_grad()
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(),
                                   rtol=1e-10, atol=1e-12)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours(mg.Tensor(X)).data,
                               theirs(torch.tensor(X)).detach().numpy(),
                               rtol=1e-10, atol=1e-12)


def test_train_and_eval_reach_modules_in_nested_containers():
    class Deep(nn.Module):
        def __init__(self):
            self.blocks = {"a": [[nn.Dropout(0.5)], nn.BatchNorm1d(2)]}

    model = Deep().eval()
    assert all(not m.training for m in model.modules())
    assert len(list(model.modules())) == 3
    model.train()
    assert all(m.training for m in model.modules())


def test_requires_grad_false_freezes_parameters(rng):
    model = nn.MLP([3, 4, 2], dtype=np.float64)
    model[0].requires_grad_(False)
    opt = optim.Adam(model.parameters(), lr=0.1, backend="numpy")
    before = model[0].weight.data.copy()
    F.cross_entropy(model(mg.Tensor(rng.standard_normal((5, 3)))),
                    np.array([0, 1, 0, 1, 1])).backward()
    opt.step()
    assert model[0].weight.grad is None and model[2].weight.grad is not None
    assert np.array_equal(model[0].weight.data, before)
    assert model.requires_grad_() is model
    assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(TypeError, match="True or False"):
        model.requires_grad_(1)


def test_mlp_layout_and_bad_norm():
    model = nn.MLP([4, 8, 8, 3], norm="batch", dropout=0.25)
    assert [type(m).__name__ for m in model] == [
        "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d",
        "ReLU", "Dropout", "Linear"]
    assert [type(m).__name__ for m in nn.MLP([4, 8, 3])] == [
        "Linear", "ReLU", "Linear"]  # the default is unchanged
    assert "norm='batch'" in repr(model) and "dropout=0.25" in repr(model)
    with pytest.raises(ValueError, match="norm"):
        nn.MLP([2, 3], norm="group")
    with pytest.raises(ValueError, match="probability"):
        nn.MLP([2, 3], dropout=1.5)


def test_cs231n_net_learns_blobs_in_train_mode_and_predicts_in_eval():
    """A stable regime (well separated blobs), majority of three seeds."""
    from minigrad.data import DataLoader, make_blobs

    wins = 0
    for seed in range(3):
        mg.manual_seed(seed)
        X, y = make_blobs(300, noise=0.5, centers=[[-3, -3], [3, -3], [0, 3]],
                          seed=seed)
        model = nn.MLP([2, 32, 32, 32, 3], norm="batch", dropout=0.1)
        opt = optim.Adam(model.parameters(), lr=0.01, backend="numpy")
        for _ in range(10):
            for xb, yb in DataLoader(X.astype(np.float32), y, 32, seed=seed):
                opt.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                opt.step()
        model.eval()
        pred = model(mg.Tensor(X.astype(np.float32))).data.argmax(1)
        wins += (pred == y).mean() > 0.95
    assert wins >= 2


def test_a_buffer_replaced_by_a_plain_array_is_named():
    bn = nn.BatchNorm1d(2)
    bn.running_mean = np.zeros(2)
    with pytest.raises(TypeError, match="'running_mean' was replaced"):
        bn.state_dict()
    bn.register_buffer("running_mean", np.zeros(2, np.float32))
    assert "running_mean" in bn.state_dict()
