"""detect_anomaly: the first op that makes a NaN/Inf raises, naming the op,
the user's file:line where it was created, and the shapes."""
import inspect
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import AnomalyError

HERE = __file__


def line_of(marker):
    """The line number in this file of the source line holding ``marker``."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()
    return next(i + 1 for i, line in enumerate(lines) if marker in line)


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_forward_log_of_zero_names_log_and_the_line():
    x = mg.Tensor([1.0, 0.0, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        y = x * 2.0
        with pytest.raises(AnomalyError) as info:
            mg.log(y - 2.0 * x + x * 0.0)  # MARK-log-forward
    err = info.value
    assert err.op == "log" and err.phase == "forward"
    assert err.created_at == f"{HERE}:{line_of('MARK-log' + '-forward')}"
    assert "'log'" in str(err) and "(3,)" in str(err) and "Inf" in str(err)


def test_forward_zero_over_zero_names_div():
    a = mg.Tensor(np.zeros((2, 3)), requires_grad=True)
    b = mg.Tensor(np.zeros(3))
    with mg.detect_anomaly(), pytest.raises(AnomalyError) as info:
        a / b  # MARK-div-forward
    assert info.value.op == "div" and info.value.phase == "forward"
    assert info.value.created_at.endswith(f":{line_of('MARK-div' + '-forward')}")
    message = str(info.value)
    assert "6 NaN" in message and "(2, 3), (3,)" in message


def test_forward_overflowing_exp_names_exp():
    x = mg.Tensor(np.array([1.0, 100.0], np.float32), requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(AnomalyError) as info:
        (x * 1.0).exp()  # MARK-exp-forward
    assert info.value.op == "exp"
    assert info.value.created_at.endswith(f":{line_of('MARK-exp' + '-forward')}")
    assert "1 Inf" in str(info.value)


def test_backward_log_names_log():
    # log of a tiny positive number is finite, its derivative 1/x is not
    x = mg.Tensor(np.array([1e-320, 1.0]), requires_grad=True)
    with mg.detect_anomaly():
        y = mg.log(x)  # MARK-log-backward
        loss = y.sum()
        with pytest.raises(AnomalyError) as info:
            loss.backward()
    err = info.value
    assert err.op == "log" and err.phase == "backward"
    assert err.created_at.endswith(f":{line_of('MARK-log' + '-backward')}")
    assert "input 0 (shape (2,))" in str(err)
    assert x.grad is None  # nothing reached the leaf


def test_backward_zero_over_zero_names_div():
    # a / b is finite (1e-100) but d/db = -a/b^2 overflows
    a = mg.Tensor(np.array([1e-300]), requires_grad=True)
    b = mg.Tensor(np.array([1e-200]), requires_grad=True)
    with mg.detect_anomaly():
        q = a / b  # MARK-div-backward
        with pytest.raises(AnomalyError) as info:
            (q * 1.0).sum().backward()
    assert info.value.op == "div" and info.value.phase == "backward"
    assert info.value.created_at.endswith(f":{line_of('MARK-div' + '-backward')}")
    assert "input 1" in str(info.value)


def test_backward_overflowing_exp_names_exp():
    x = mg.Tensor(np.array([700.0, 0.0]), requires_grad=True)
    with mg.detect_anomaly():
        y = mg.exp(x)  # MARK-exp-backward: e^700 is finite, 1e10 * e^700 not
        with pytest.raises(AnomalyError) as info:
            y.backward(np.array([1e10, 1.0]))
    assert info.value.op == "exp" and info.value.phase == "backward"
    assert info.value.created_at.endswith(f":{line_of('MARK-exp' + '-backward')}")


def test_location_is_the_users_line_not_minigrad_internals():
    x = mg.Tensor([0.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(AnomalyError) as info:
        x.log()  # a Tensor method: the call goes through functions.py
    assert info.value.created_at.startswith(HERE)


def test_non_finite_root_gradient_is_reported():
    x = mg.Tensor([1.0], requires_grad=True)
    with mg.detect_anomaly():
        y = x * 2.0
        with pytest.raises(AnomalyError, match="passed to backward"):
            y.backward(np.array([np.nan]))


def test_without_anomaly_mode_nan_passes_silently_and_mode_restores():
    x = mg.Tensor([0.0], requires_grad=True)
    y = mg.log(x)
    assert np.isinf(y.data).all()
    y.backward()
    assert np.isinf(x.grad).all()
    with pytest.raises(ZeroDivisionError):
        with mg.detect_anomaly():
            1 / 0
    z = mg.log(mg.Tensor([0.0]))  # mode was restored: no raise
    assert z.creator is None


def test_ops_created_outside_the_mode_still_checked_in_backward():
    x = mg.Tensor(np.array([1e-320]), requires_grad=True)
    y = mg.log(x)
    with mg.detect_anomaly(), pytest.raises(AnomalyError, match="outside detect"):
        y.backward()


def test_integer_and_boolean_results_are_not_checked():
    with mg.detect_anomaly():
        k = mg.Tensor(np.array([1, 2])) + 1
        assert (k > 1).dtype == bool


def test_failed_backward_changes_no_leaf_and_frees_nothing():
    a = mg.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = mg.Tensor(np.array([1e-320]), requires_grad=True)
    loss = (a * 2.0).sum() + mg.log(b).sum() + (a * a).sum()
    with mg.detect_anomaly(), pytest.raises(AnomalyError):
        loss.backward()
    assert a.grad is None and b.grad is None
    loss.backward()  # the graph is intact: outside the mode it runs through
    np.testing.assert_allclose(a.grad, 2.0 + 2 * a.data)
