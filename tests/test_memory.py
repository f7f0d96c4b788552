"""Training does not leak: the graph is freed after backward by reference
counting alone (no cycles), and 1,000 steps of an MLP do not grow memory."""
import gc
import os
import sys
import weakref

import numpy as np
import pytest

import minigrad as mg

nn = pytest.importorskip("minigrad.nn")
F = nn.functional


def _optim():
    return pytest.importorskip("minigrad.optim")


def _problem(seed=0):
    mg.manual_seed(seed)
    model = nn.MLP([8, 64, 64, 1])
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 8)).astype(np.float32)
    y = np.sin(X.sum(axis=1, keepdims=True)).astype(np.float32)
    return model, X, y


def _step(model, opt, X, y):
    loss = F.mse_loss(model(mg.Tensor(X)), mg.Tensor(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def _graph_functions(tensor):
    """Every Function reachable from ``tensor`` (iteratively)."""
    seen, stack = {}, [tensor.creator]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen[id(fn)] = fn
        stack.extend(t.creator for t in fn.inputs)
    return list(seen.values())


def test_graph_is_freed_by_reference_counting_alone():
    model, X, y = _problem()
    gc.collect()
    gc.disable()  # if anything survives now, only a reference cycle can hold it
    try:
        hidden = model(mg.Tensor(X))
        loss = F.mse_loss(hidden, mg.Tensor(y))
        functions = _graph_functions(loss)
        assert len(functions) >= 5  # matmuls, adds, relus, the loss
        refs = [weakref.ref(fn) for fn in functions]
        hidden_ref = weakref.ref(hidden)
        del functions
        loss.backward()
        del hidden, loss
        alive = [r() for r in refs if r() is not None]
        assert hidden_ref() is None
        assert not alive, f"{len(alive)} graph nodes outlive the loss: {alive[:5]}"
    finally:
        gc.enable()
    # the parameters themselves are untouched leaves with gradients
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("name", ["SGD", "Adam", "LAMB"])
def test_training_makes_no_cyclic_garbage(name):
    model, X, y = _problem()
    opt = getattr(_optim(), name)(model.parameters(), backend="numpy")
    _step(model, opt, X, y)  # first step allocates optimizer state
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            _step(model, opt, X, y)
        unreachable = gc.collect()
    finally:
        gc.enable()
    assert unreachable == 0, f"{unreachable} objects were only freeable by gc"


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_a_thousand_steps_do_not_grow_memory(backend):
    model, X, y = _problem()
    opt = _optim().Adam(model.parameters(), lr=1e-3, backend=backend)
    for _ in range(100):  # warm up: optimizer state, JIT, allocator pools
        _step(model, opt, X, y)
    gc.collect()
    rss_before, objects_before = _resident_bytes(), len(gc.get_objects())
    losses = [_step(model, opt, X, y) for _ in range(1000)]
    gc.collect()
    rss_growth = _resident_bytes() - rss_before
    object_growth = len(gc.get_objects()) - objects_before
    # one leaked graph per step would hold ~50 KB of activations: 50 MB in all.
    # The bound leaves room for the allocator: inside the whole suite (other
    # tests' threads and arenas in the same process) RSS moved by 4.3 MB.
    assert rss_growth < 16 * 2**20, f"resident memory grew by {rss_growth} bytes"
    assert object_growth < 200, f"{object_growth} more gc-tracked objects"
    assert losses[-1] < losses[0]  # and it really was training
