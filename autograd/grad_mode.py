"""Grad mode: whether operations record the graph (``no_grad``, ``enable_grad``)."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["no_grad", "enable_grad", "is_grad_enabled"]

_GRAD_ENABLED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "autograd_grad_enabled", default=True
)

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    _enabled: bool

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[bool]] = []

    def __enter__(self) -> Self:
        self._tokens.append(_GRAD_ENABLED.set(self._enabled))
        return self

    def __exit__(self, *exc: object) -> None:
        _GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        """Use as a decorator: run ``func`` in this mode."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Context manager (or decorator) in which operations record no graph.

    Results are leaves (``children == ()``).  The flag lives in a context variable, so it is
    private to each thread and each asyncio task.
    """

    _enabled = False


class enable_grad(_GradMode):
    """Context manager (or decorator) that turns graph recording back on inside ``no_grad``."""

    _enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad``."""
    return _GRAD_ENABLED.get()
