"""The compiled engine's primitives on numpy arrays: one kernel per entry of ``PRIMITIVES``.

A kernel runs one primitive for a whole group of nodes over a whole batch at once.  Its
operands come in *blocks* whose last axis is the batch: width B, or 1 for values that are
the same for every example (parameters, constants).  A *scalar* block holds one operand per
node, shape (k, W), one row per node of the group; a *vector* block holds n operands per
node, shape (k, n, W).  Unary and binary primitives take scalar blocks; ``sum`` and
``logsumexp`` one vector block; ``dot`` two (its ws and its xs); ``select`` a scalar block
(the index) and a vector block (the values).  Any axis of a block may be 1 and broadcast: a
block whose k rows are all the same operands arrives as one row.

``forward(*blocks)`` returns the k results (shape (k, W), or broadcastable to it).
``backward(g, out, *blocks, wanted=...)`` returns, for each block that ``wanted`` asks for, g
times the local partial derivative, *reduced to that block's shape* (summed over every axis
the block was broadcast along), and None for the others.

The float semantics are those of autograd/primitives.py: the same IEEE operations in the
same order (sums left to right, ``hard_sigmoid`` as ``min(max(a + 3, 0), 6) / 6``, the
two-branch sigmoid, log-sum-exp shifted by each node's largest operand, the subgradients 0
at the kinks of relu and abs, 1/6 strictly inside (-3, 3) for hard_sigmoid).  exp, log,
tanh, pow (and so sigmoid and logsumexp) use numpy's vectorised implementations, which can
differ from ``math``'s in the last bit.  One deliberate exception: ``LAYER``, the kernel of
a layer's dot products, is a matrix product, whose sums BLAS adds in its own order.

Where a derivative is undefined or infinite (sqrt at 0; pow's base derivative at 0 with an
exponent below 1, and its exponent derivative for a base <= 0, as the eager engine defines
them) a kernel writes NaN on purpose: NaN survives every later operation, so the replay
finds it in the parameters' gradients and reports it, and it never reaches a ``.grad``.
Kernels are run under ``numpy.errstate`` that raises on overflow, division by zero and
invalid operations, so they never compute a branch they then discard (``np.where`` over
both branches) where that branch could raise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Array", "Kernel", "KERNELS", "LAYER", "reduce_to", "sequential_sum", "unary"]

Array = npt.NDArray[np.float64]
Wanted = tuple[bool, ...]
Partials = tuple["Array | None", ...]
_SCALAR, _PAIR, _VECTOR = (False,), (False, False), (True,)


@dataclass(frozen=True)
class Kernel:
    """One primitive on arrays: forward, and g times its partials per operand block.

    ``vectors`` says, block by block, whether it is a vector block (True) or a scalar one;
    scalar blocks come first.  ``operand_names`` names the blocks in messages.  The errors
    of a failed forward pass are the primitive's own (``result_error`` in primitives.py), so
    eager and compiled say the same.  numpy reports them as floating-point errors, except
    where a kernel makes a NaN on purpose: ``select``'s, for an index outside its domain (as
    the eager forward does), has ``checked`` set, and the replay checks its results.
    """

    name: str
    vectors: tuple[bool, ...]
    forward: Callable[..., Array]
    backward: Callable[..., Partials]
    operand_names: tuple[str, ...] = ("operand",)
    checked: bool = False

    @property
    def blocks(self) -> int:
        """How many operand blocks the kernel takes."""
        return len(self.vectors)

    def split(self, operands: tuple[int, ...]) -> list[tuple[int, ...]]:
        """One node's operands as the kernel's blocks: one operand per scalar block, then the
        rest in equal parts, one per vector block (dot: ws then xs)."""
        scalars = self.vectors.count(False)
        blocks: list[tuple[int, ...]] = [(i,) for i in operands[:scalars]]
        rest = operands[scalars:]
        parts = self.blocks - scalars
        size = len(rest) // parts if parts else 0
        blocks += [rest[j * size : (j + 1) * size] for j in range(parts)]
        return blocks


def reduce_to(c: Array, shape: tuple[int, ...]) -> Array:
    """``c`` summed over the axes where ``shape`` is 1, then broadcast to exactly ``shape``.

    The gradient of an operand that was broadcast (the same weights for every example, the
    same inputs for every neuron) is the sum of its contributions along that axis.
    """
    if c.shape == shape:
        return c
    axes = tuple(i for i, (m, s) in enumerate(zip(c.shape, shape)) if s == 1 and m != 1)
    if axes:
        c = c.sum(axis=axes, keepdims=True)
    return c if c.shape == shape else np.broadcast_to(c, shape)


def sequential_sum(terms: Array) -> Array:
    """Sum a (k, n, W) block over n strictly left to right, as the eager engine does.

    numpy reduces a non-innermost axis of width >= 2 row by row (the order the eager engine
    uses, checked by tests/test_compile.py), but over a contiguous axis it sums pairwise:
    with a batch of width 1 the n axis becomes that axis, so there an accumulate (a strictly
    sequential scan) is used instead.
    """
    total: Array
    if terms.shape[1] == 1:
        total = terms[:, 0]
    elif terms.shape[2] >= 2:
        total = terms.sum(axis=1)
    else:
        total = np.add.accumulate(terms, axis=1)[:, -1]
    return total


# --- binary ------------------------------------------------------------------------------


def _add_backward(g: Array, out: Array, a: Array, b: Array, wanted: Wanted) -> Partials:
    return (
        reduce_to(g, a.shape) if wanted[0] else None,
        reduce_to(g, b.shape) if wanted[1] else None,
    )


def _mul_backward(g: Array, out: Array, a: Array, b: Array, wanted: Wanted) -> Partials:
    return (
        reduce_to(g * b, a.shape) if wanted[0] else None,
        reduce_to(g * a, b.shape) if wanted[1] else None,
    )


def _pow_backward(g: Array, out: Array, a: Array, b: Array, wanted: Wanted) -> Partials:
    d_base = d_exponent = None
    if wanted[0]:
        # Eager: 0 at 0 ** 0 (PyTorch's convention), undefined at a zero base with b < 1
        # (an infinite slope, e.g. sqrt), else g * b * a ** (b - 1).
        zero_base = (a == 0) & (b < 1)
        d = g * b * np.power(np.where(zero_base, 1.0, a), b - 1)
        d = np.where(zero_base, np.where(b == 0, 0.0, np.nan), d)
        d_base = reduce_to(d, a.shape)
    if wanted[1]:
        # Eager: g * a ** b * ln a for a > 0, 0 at a zero base (b >= 0 there, else the
        # forward pass failed), undefined for a negative base.
        positive = a > 0
        d = g * out * np.log(np.where(positive, a, 1.0))
        d = np.where(positive, d, np.where(a == 0, 0.0, np.nan))
        d_exponent = reduce_to(d, b.shape)
    return d_base, d_exponent


# --- unary -------------------------------------------------------------------------------

_Chain = Callable[[Array, Array, Array], Any]  # (g, out, a) -> g times the local derivative


def unary(name: str, forward: Callable[..., Array], chain: _Chain) -> Kernel:
    """A kernel of one scalar operand, whose backward is ``chain(g, out, a)``."""

    def backward(g: Array, out: Array, a: Array, wanted: Wanted) -> Partials:
        return (reduce_to(chain(g, out, a), a.shape),)

    return Kernel(name, _SCALAR, forward, backward)


def _sqrt_chain(g: Array, out: Array, a: Array) -> Array:
    zero = out == 0  # an infinite slope: undefined, as in the eager engine
    return np.where(zero, np.nan, g / (2 * np.where(zero, 1.0, out)))


def _sigmoid_forward(a: Array) -> Array:
    # The eager engine's two branches in one: exp only ever sees -|a| (no overflow), then
    # 1 / (1 + e^-a) for a >= 0 and e^a / (1 + e^a) below.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu_forward(a: Array) -> Array:
    return np.where(a > 0, a, 0.0)  # as eager: -0.0 gives 0.0


def _hard_sigmoid_forward(a: Array) -> Array:
    return np.minimum(np.maximum(a + 3.0, 0.0), 6.0) / 6.0


def _hard_sigmoid_chain(g: Array, out: Array, a: Array) -> Array:
    return g * np.where((a > -3.0) & (a < 3.0), 1.0 / 6.0, 0.0)  # 0 at the corners ±3


# --- n-ary ------------------------------------------------------------------------------


def _sum_backward(g: Array, out: Array, terms: Array, wanted: Wanted) -> Partials:
    return (reduce_to(g[:, None, :], terms.shape),)


def _dot_forward(ws: Array, xs: Array) -> Array:
    return sequential_sum(ws * xs)  # products rounded one by one, then summed in order


def _layer_forward(ws: Array, xs: Array) -> Array:
    """dot for a layer, as one matrix product W @ X where the layout allows.

    The layout of a layer's neurons: weights the same for every example, (k, n, 1), against
    inputs shared by every neuron, (1, n, B), or the other way round.  BLAS adds each node's
    n products in its own order, not left to right: the results may differ from the eager
    engine's in the last bits.
    """
    out: Array
    if ws.shape[2] == 1 and xs.shape[0] == 1:
        out = ws[:, :, 0] @ xs[0]
    elif xs.shape[2] == 1 and ws.shape[0] == 1:
        out = xs[:, :, 0] @ ws[0]
    else:
        out = _dot_forward(ws, xs)
    return out


def _dot_partial(g: Array, other: Array, shape: tuple[int, ...]) -> Array:
    """g * other reduced to ``shape``: in a layer's layout (``_layer_forward``) one matrix
    product, over the batch for the weights, over the neurons for the inputs, in BLAS's
    order (gradients need no particular order)."""
    rows, width = g.shape
    k, _, w = shape
    partial: Array
    if k == rows and w == 1 < width and other.shape[0] == 1 and other.shape[2] == width:
        partial = (g @ other[0].T)[:, :, None]  # Σ_b g[k, b] other[0, n, b]
    elif k == 1 < rows and w == width and other.shape[0] == rows and other.shape[2] == 1:
        partial = (other[:, :, 0].T @ g)[None]  # Σ_k other[k, n, 0] g[k, b]
    else:
        partial = reduce_to(g[:, None, :] * other, shape)
    return partial


def _dot_backward(g: Array, out: Array, ws: Array, xs: Array, wanted: Wanted) -> Partials:
    return (
        _dot_partial(g, xs, ws.shape) if wanted[0] else None,
        _dot_partial(g, ws, xs.shape) if wanted[1] else None,
    )


def _logsumexp_forward(terms: Array) -> Array:
    # The eager rule: shifted by each node's largest operand, exp, summed left to right, log.
    top = terms.max(axis=1)
    out: Array = top + np.log(sequential_sum(np.exp(terms - top[:, None, :])))
    return out


def _logsumexp_backward(g: Array, out: Array, terms: Array, wanted: Wanted) -> Partials:
    # The softmax weights, as the eager partials: exp(x_i - max) / Σ_j exp(x_j - max).
    exps = np.exp(terms - terms.max(axis=1, keepdims=True))
    weights = exps / sequential_sum(exps)[:, None, :]
    return (reduce_to(g[:, None, :] * weights, terms.shape),)


def _select_positions(index: Array, n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Each index as a position among n values, and whether it is one (whole, in range)."""
    position = np.clip(index, 0, n - 1).astype(np.intp)
    return position, position == index


def _select_forward(index: Array, values: Array) -> Array:
    position, valid = _select_positions(index, values.shape[1])
    picked = np.take_along_axis(values, position[:, None, :], axis=1)[:, 0, :]
    return np.where(valid, picked, np.nan)  # NaN outside the domain, as the eager forward


def _select_backward(g: Array, out: Array, index: Array, values: Array, wanted: Wanted) -> Partials:
    # 1 for the chosen value, 0 for the others and for the index (see primitives.py);
    # a 0/1 factor, as relu's, so an inf or NaN gradient is not silently dropped.
    n = values.shape[1]
    chosen = np.arange(n)[None, :, None] == _select_positions(index, n)[0][:, None, :]
    return (
        reduce_to(g * 0.0, index.shape) if wanted[0] else None,
        reduce_to(g[:, None, :] * chosen, values.shape) if wanted[1] else None,
    )


KERNELS: dict[str, Kernel] = {
    k.name: k
    for k in (
        Kernel("add", _PAIR, np.add, _add_backward, ("left", "right")),
        Kernel("mul", _PAIR, np.multiply, _mul_backward, ("left", "right")),
        Kernel("pow", _PAIR, np.power, _pow_backward, ("base", "exponent")),
        unary("exp", np.exp, lambda g, out, a: g * out),
        unary("log", np.log, lambda g, out, a: g / a),
        unary("sqrt", np.sqrt, _sqrt_chain),
        unary("sin", np.sin, lambda g, out, a: g * np.cos(a)),
        unary("cos", np.cos, lambda g, out, a: -g * np.sin(a)),
        unary("tanh", np.tanh, lambda g, out, a: g * (1 - out * out)),
        unary("sigmoid", _sigmoid_forward, lambda g, out, a: g * out * (1 - out)),
        # A 0/1 factor rather than np.where, so an inf or NaN gradient is not silently
        # dropped (eager multiplies by 0.0 too); relu'(0) = 0, and abs'(0) = sign(0) = 0.
        unary("relu", _relu_forward, lambda g, out, a: g * (a > 0)),
        unary("abs", np.abs, lambda g, out, a: g * np.sign(a)),
        unary("hard_sigmoid", _hard_sigmoid_forward, _hard_sigmoid_chain),
        Kernel("sum", _VECTOR, sequential_sum, _sum_backward, ("terms",)),
        Kernel("dot", (True, True), _dot_forward, _dot_backward, ("ws", "xs")),
        Kernel("logsumexp", _VECTOR, _logsumexp_forward, _logsumexp_backward, ("terms",)),
        Kernel(
            "select", (False, True), _select_forward, _select_backward, ("index", "values"), True
        ),
    )
}
"""Every primitive's numpy kernel, by the name it has in ``autograd.PRIMITIVES``."""

LAYER = Kernel("dot", (True, True), _layer_forward, _dot_backward, ("ws", "xs"))
"""The ``dot`` kernel of a *layer*: a group of dot nodes that share one operand block, run
as one matrix product (``Strategy.matmul``); elsewhere ``KERNELS["dot"]`` runs."""
