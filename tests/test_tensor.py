"""Tensor construction, dtype rules, attributes and the errors users hit."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import config


def test_python_numbers_and_lists_get_the_default_dtype():
    assert mg.Tensor(1.5).dtype == np.float32
    assert mg.Tensor([1, 2, 3]).dtype == np.float32
    assert mg.Tensor([[True, False]]).dtype == np.float32
    mg.set_default_dtype(np.float64)
    assert mg.Tensor([1.0]).dtype == np.float64
    assert mg.get_default_dtype() == np.float64


def test_numpy_arrays_keep_their_dtype_and_are_copied():
    a = np.arange(3, dtype=np.float64)
    t = mg.Tensor(a)
    assert t.dtype == np.float64
    t.data += 1
    np.testing.assert_array_equal(a, [0, 1, 2])  # the caller's array is untouched
    assert mg.Tensor(np.ones(2, np.float32)).dtype == np.float32
    assert mg.Tensor(np.arange(3)).dtype == np.arange(3).dtype
    assert mg.Tensor(np.array([True])).dtype == bool


def test_explicit_dtype_converts():
    assert mg.Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert mg.Tensor(np.ones(2, np.float32), dtype="float64").dtype == np.float64
    assert mg.Tensor([1.7], dtype=np.int64).dtype == np.int64


@pytest.mark.parametrize("bad", [
    np.ones(2, np.float16), np.ones(2, np.complex128), np.array([object()]),
    np.array(["a"]), "text", None,
])
def test_unsupported_dtypes_raise_type_error(bad):
    with pytest.raises(TypeError, match="float32 or float64"):
        mg.Tensor(bad)


def test_unsupported_dtype_argument():
    with pytest.raises(TypeError):
        mg.Tensor([1.0], dtype=np.float16)
    with pytest.raises(TypeError, match="not a dtype"):
        mg.Tensor([1.0], dtype="nonsense-type")


def test_ragged_lists_raise_value_error():
    with pytest.raises(ValueError, match="cannot make a Tensor"):
        mg.Tensor([[1.0, 2.0], [3.0]])


def test_integer_tensors_can_never_require_grad():
    with pytest.raises(TypeError, match="only float tensors can require grad"):
        mg.Tensor(np.arange(3), requires_grad=True)
    t = mg.Tensor(np.arange(3))
    with pytest.raises(TypeError, match="int"):
        t.requires_grad_()
    assert not t.requires_grad


def test_requires_grad_must_be_bool_and_name_a_string():
    with pytest.raises(TypeError, match="True or False"):
        mg.Tensor([1.0], requires_grad="yes")
    with pytest.raises(TypeError, match="name"):
        mg.Tensor([1.0], name=3)


def test_attributes():
    t = mg.Tensor(np.zeros((2, 3)), requires_grad=True, name="w")
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.name == "w" and t.is_leaf and t.grad is None and t.creator is None
    assert t.T.shape == (3, 2) and not t.T.is_leaf
    assert t.numpy() is t.data
    assert len(t) == 2
    assert [row.shape for row in t] == [(3,), (3,)]
    assert np.asarray(t) is t.data


def test_item():
    assert mg.Tensor([[2.5]]).item() == 2.5
    with pytest.raises(ValueError, match=r"exactly one element.*\(2,\)"):
        mg.Tensor([1.0, 2.0]).item()


def test_zero_dim_len_iter_and_bool():
    s = mg.Tensor(1.0)
    with pytest.raises(TypeError):
        len(s)
    with pytest.raises(TypeError):
        iter(s)
    assert bool(s)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mg.Tensor([1.0, 2.0]))


def test_repr_is_readable():
    t = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    assert repr(t) == "Tensor([1., 2.], dtype=float32, requires_grad=True, name='x')"
    assert "creator=mul" in repr(t * 2)
    assert "\n" in repr(mg.Tensor(np.zeros((2, 2))))


def test_tensors_hash_by_identity():
    a, b = mg.Tensor([1.0]), mg.Tensor([1.0])
    assert len({a, b, a}) == 2


@pytest.mark.parametrize("op", [
    lambda t: t + "a", lambda t: "a" * t, lambda t: t @ {}, lambda t: t - None,
    lambda t: t / object(), lambda t: t ** "2", lambda t: mg.exp("x"),
])
def test_unsupported_operand_types_raise_type_error(op):
    with pytest.raises(TypeError):
        op(mg.Tensor([1.0, 2.0]))


def test_unsupported_comparison_falls_back_to_python():
    t = mg.Tensor([1.0])
    assert (t == None) is False  # noqa: E711 - identity fallback, no crash
    with pytest.raises(TypeError):
        t < "a"


def test_numpy_array_on_the_left_gives_a_tensor():
    x = mg.Tensor(np.ones(3), requires_grad=True)
    y = np.arange(3.0) * x + np.ones(3)
    assert isinstance(y, mg.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 2.0])


def test_broadcast_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        mg.Tensor(np.ones(3)) + mg.Tensor(np.ones(4))


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(5, 2\) are not aligned"):
        mg.Tensor(np.ones((3, 4))) @ mg.Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match="at least 1 dim"):
        mg.Tensor(np.ones(3)) @ mg.Tensor(2.0)


def test_shape_op_errors_are_specific():
    t = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        t.sum(axis=2)
    with pytest.raises(ValueError, match="repeated axis"):
        t.sum(axis=(0, -2))
    with pytest.raises(TypeError, match="axis must be an int"):
        t.max(axis=1.0)
    with pytest.raises(ValueError, match="reshape"):
        t.reshape(4, 2)
    with pytest.raises(TypeError, match="shape must be ints"):
        t.reshape(2.0, 3)
    with pytest.raises(IndexError):
        t[5]
    with pytest.raises(IndexError, match="integer or boolean"):
        t[np.array([0.5])]
    with pytest.raises(ValueError, match="lo.*greater than hi"):
        t.clip(1.0, 0.0)
    with pytest.raises(ValueError, match="at least one"):
        t.clip(None, None)
    with pytest.raises(TypeError, match="boolean"):
        mg.where(np.array([1, 0]), t, t)
    with pytest.raises(TypeError, match="list or tuple"):
        mg.concatenate(t)
    with pytest.raises(ValueError, match="at least one"):
        mg.stack([])
    with pytest.raises(ValueError, match=r"\(2, 3\), \(3, 2\)"):
        mg.stack([t, t.T])


def test_set_default_dtype_rejects_other_dtypes():
    for bad in (np.float16, np.int32, "complex64", "not a dtype", None):
        with pytest.raises(ValueError, match="float32 or float64"):
            mg.set_default_dtype(bad)
    assert mg.get_default_dtype() == np.float32


def test_manual_seed_makes_rng_repeatable():
    mg.manual_seed(123)
    a = config.rng().standard_normal(4)
    mg.manual_seed(123)
    np.testing.assert_array_equal(config.rng().standard_normal(4), a)
    with pytest.raises(ValueError, match="-1"):
        mg.manual_seed(-1)
    with pytest.raises(TypeError):
        mg.manual_seed(1.5)


def test_numpy_errors_inside_ops_are_restated_by_minigrad():
    t = mg.Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"transpose on shapes \(2, 3\)"):
        t.transpose(0, 5)
    with pytest.raises(TypeError, match="axes must be ints"):
        t.transpose(np.array([0.1, 0.2]))
    with pytest.raises(IndexError, match=r"getitem on shapes \(2, 3\)"):
        t[{}]
    with pytest.raises(ValueError, match=r"stack on shapes \(2, 3\), \(3,\)"):
        mg.stack([t, mg.Tensor(np.ones(3))])


def test_float_math_on_integer_tensors_gives_the_default_dtype():
    k = mg.Tensor(np.array([1, 2], dtype=np.int8))
    for y in (mg.exp(k), mg.log(k), mg.sqrt(k), mg.tanh(k), mg.sigmoid(k)):
        assert y.dtype == np.float32
    assert mg.exp(mg.Tensor(np.array([True]))).dtype == np.float32


@pytest.mark.parametrize("source", [
    np.array([1.0, np.nan], np.float32),
    np.array(np.inf, np.float16),  # in float16, int64's max itself rounds to inf
    np.array([-3e19]),
])
def test_float_to_int_refuses_values_it_would_invent(source):
    with pytest.raises(ValueError, match="cannot convert NaN, infinity"):
        mg.Tensor(source, dtype=np.int64)
