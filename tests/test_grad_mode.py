"""Grad mode (autograd/grad_mode.py): no_grad and enable_grad."""

from __future__ import annotations

import math
import threading

import pytest

from autograd import Value, enable_grad, is_grad_enabled, no_grad

# --- grad modes ----------------------------------------------------------------------


def test_no_grad_records_nothing() -> None:
    x = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 3).exp()
    assert is_grad_enabled()
    assert y.data == math.exp(6.0)
    assert y.children == ()
    assert y.op == ""
    assert y.is_leaf
    y.backward()
    assert x.grad == 0.0


def test_no_grad_as_a_decorator() -> None:
    @no_grad()
    def f(x: Value) -> Value:
        assert not is_grad_enabled()
        return x * x

    out = f(Value(3.0))
    assert out.data == 9.0
    assert out.children == ()
    assert is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_inside_no_grad_and_nesting() -> None:
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * x
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert y.children == (x, x)


def test_no_grad_is_restored_after_an_exception() -> None:
    with pytest.raises(ZeroDivisionError), no_grad():
        Value(1.0) / 0
    assert is_grad_enabled()


def test_no_grad_is_per_thread() -> None:
    inside, built = threading.Event(), threading.Event()
    results: dict[str, Value] = {}

    def worker() -> None:
        with no_grad():
            inside.set()
            assert built.wait(timeout=30)
            results["worker"] = Value(2.0) * 3

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(timeout=30)
    # The worker is inside no_grad right now; this thread still records.
    assert is_grad_enabled()
    results["main"] = Value(2.0) * 3
    built.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(results["main"].children) == 2
    assert results["worker"].children == ()
