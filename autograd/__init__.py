"""A scalar autograd engine: Values that record their graph, and reverse-mode backprop.

``import autograd`` stays light: graph drawing (graphviz), the Hypothesis strategies
(``autograd.testing``) and compiled execution (``autograd.compile``, numpy) are imported
only when used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .backprop import grad
from .engine import Value, dot, logsumexp, select, sum, topological_order
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, numeric_gradient
from .primitives import PRIMITIVES, Primitive

if TYPE_CHECKING:
    from .compiled import compile
    from .render import draw

__all__ = [
    "Value",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "grad",
    "gradcheck",
    "numeric_gradient",
    "GradcheckError",
    "topological_order",
    "sum",
    "dot",
    "logsumexp",
    "select",
    "draw",
    "compile",
    "PRIMITIVES",
    "Primitive",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "draw":  # lazy: graphviz is imported only when drawing
        from .render import draw

        return draw
    if name == "compile":  # lazy: numpy is imported only when compiling
        from .compiled import compile

        return compile
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
