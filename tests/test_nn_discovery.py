"""Module discovery at any depth of lists, tuples and dicts; names follow
attribute order and the first name found wins (issue 10, item 9)."""
import numpy as np

import minigrad as mg
from minigrad import nn, optim


class Nested(nn.Module):
    def __init__(self):
        self.blocks = [[nn.Linear(2, 2)], [nn.Linear(2, 2), nn.Linear(2, 2)]]
        self.heads = {"a": [nn.Linear(2, 1)], "b": {"c": (nn.Linear(2, 1),)}}


def test_modules_in_nested_containers_are_found_at_any_depth():
    names = [n for n, _ in Nested().named_parameters()]
    assert names == [
        "blocks.0.0.weight", "blocks.0.0.bias",
        "blocks.1.0.weight", "blocks.1.0.bias",
        "blocks.1.1.weight", "blocks.1.1.bias",
        "heads.a.0.weight", "heads.a.0.bias",
        "heads.b.c.0.weight", "heads.b.c.0.bias",
    ]
    assert [n for n, _ in Nested().named_modules()] == [
        "", "blocks.0.0", "blocks.1.0", "blocks.1.1", "heads.a.0", "heads.b.c.0"]


def test_a_module_in_a_nested_list_is_trained():
    mg.manual_seed(0)
    model = Nested()
    inner = model.blocks[1][1].weight
    before = inner.data.copy()
    opt = optim.SGD(model.parameters(), lr=0.1, backend="numpy")
    x = mg.Tensor(np.ones((3, 2), dtype=np.float32))
    out = model.blocks[1][1](model.blocks[0][0](x)).sum()
    out.backward()
    opt.step()
    assert not np.array_equal(inner.data, before)


def test_the_first_name_in_attribute_order_wins():
    class Decay(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)
            self.decay = [self.layer.weight]

    assert [n for n, _ in Decay().named_parameters()] == [
        "layer.weight", "layer.bias"]
    assert list(Decay().state_dict()) == ["layer.weight", "layer.bias"]


def test_a_module_listed_before_its_attribute_keeps_the_earlier_name():
    class Early(nn.Module):
        def __init__(self):
            lin = nn.Linear(2, 2)
            self.first = [lin.bias]
            self.lin = lin

    assert [n for n, _ in Early().named_parameters()] == [
        "first.0", "lin.weight"]


def test_deeply_nested_and_self_referencing_containers_terminate():
    class Deep(nn.Module):
        def __init__(self):
            box = [nn.Linear(1, 1)]
            for _ in range(5000):
                box = [box]
            self.box = box
            loop = []
            loop.append(loop)
            self.loop = loop

    names = [n for n, _ in Deep().named_parameters()]
    assert len(names) == 2 and names[0].endswith(".0.weight")
    assert names[0].count(".") == 5002
