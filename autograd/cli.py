"""The command line: evaluate a formula of named inputs, backpropagate, and draw its graph.

    python -m autograd "tanh(a*b + c)" a=2 b=-3 c=10 -o graph.svg

The formula is parsed with ``ast`` and checked against a whitelist before anything runs:
numbers, the named inputs, ``+ - * / **``, unary ``-``/``+``, and calls to the one-operand
primitives (``exp``, ``log``, ``tanh``, ...).  Everything else is refused.  Nothing is
passed to ``eval``; the checked tree is interpreted node by node.

A formula that starts with ``-`` goes after ``--``, which ends the options:
``python -m autograd -o g.svg -- "-x**2" x=3``.

Exit codes (listed in full by ``--help``): 0 on success, 2 when the command line is wrong,
1 when the computation or the writing fails.
"""

from __future__ import annotations

import argparse
import ast
import errno
import keyword
import operator
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NoReturn, cast

from .checks import option, parse_integer, parse_real
from .engine import Value, topological_order
from .grad_mode import no_grad
from .primitives import PRIMITIVES

__all__ = ["FUNCTIONS", "ExpressionError", "evaluate", "parse_inputs", "main"]

FUNCTIONS: tuple[str, ...] = tuple(
    name
    for name, primitive in PRIMITIVES.items()
    if primitive.arity == 1 and callable(getattr(Value, name, None))
)
"""The functions a formula may call: every one-operand primitive (``exp``, ``log``, ...)."""

Number = Value | float

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class ExpressionError(ValueError):
    """A formula or an input assignment that the command line refuses (exit code 2)."""


# --- inputs -----------------------------------------------------------------------------


def parse_inputs(assignments: Sequence[str]) -> dict[str, float]:
    """Parse ``name=number`` arguments into a dict, in the order given."""
    inputs: dict[str, float] = {}
    given: dict[str, str] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep:
            # After "--" every argument is a formula or an input, options included.
            hint = "; options go before --" if item.startswith("-") else ""
            raise ExpressionError(f"expected an input as NAME=NUMBER, got {item!r}{hint}")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(f"{item!r}: {name!r} is not a valid input name")
        if name in FUNCTIONS:
            raise ExpressionError(
                f"{item!r}: {name!r} is the name of a function; choose another input name"
            )
        if name in given:
            raise ExpressionError(f"input {name!r} is given twice ({given[name]} and {item})")
        given[name] = item
        try:
            inputs[name] = parse_real(text, repr(item), name)
        except ValueError as error:
            raise ExpressionError(str(error)) from None
    return inputs


# --- checking the formula -----------------------------------------------------------------

# The operators a formula may use, and what each computes.
_OPERATORS: dict[type[ast.AST], Callable[..., Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}

_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slices",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions",
    ast.NamedExpr: "assignments (:=)",
    ast.JoinedStr: "f-strings",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_OTHER_OPERATORS: dict[type[ast.AST], str] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}

_ALLOWED = "numbers, the named inputs, + - * / **, unary -, and calls to " + ", ".join(FUNCTIONS)


def _shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in "..." if it was longer."""
    return text if len(text) <= width else text[: width - 3] + "..."


def _refuse(source: str, node: ast.AST, why: str) -> ExpressionError:
    """The error for a refused part of the formula, quoting that part."""
    segment = _shorten(ast.get_source_segment(source, node) or ast.unparse(node), 60)
    return ExpressionError(f"{why}: {segment!r} (a formula may contain only {_ALLOWED})")


def parse_expression(source: str, names: Mapping[str, object]) -> ast.Expression:
    """Parse ``source`` and check every node against the whitelist (nothing is evaluated)."""
    source = source.strip()
    if not source:
        raise ExpressionError("the formula is empty")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"invalid formula {_shorten(source, 60)!r}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("invalid formula: too long or too deeply nested") from None
    called: set[ast.AST] = set()  # the Name nodes of allowed calls
    for node in ast.walk(tree):  # iterative, parents before children
        if isinstance(node, (ast.Expression, ast.expr_context, ast.operator, ast.unaryop)):
            continue  # operators are checked with their BinOp/UnaryOp
        if isinstance(node, ast.Constant):
            number = node.value
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise _refuse(source, node, f"{type(number).__name__} constants are not allowed")
            if number > sys.float_info.max:  # 1e999 (inf), or an int beyond the float range
                segment = ast.get_source_segment(source, node)
                raise ExpressionError(f"the number {segment} is too large for a float")
        elif isinstance(node, ast.Name):
            if node in called:
                continue
            if node.id in FUNCTIONS:
                raise _refuse(source, node, f"{node.id} is a function; call it, as in {node.id}(x)")
            if node.id not in names:
                given = _shorten(", ".join(names), 200)
                raise ExpressionError(
                    f"the name {node.id!r} has no value: add {node.id}=NUMBER to the command "
                    f"line" + (f" (inputs given: {given})" if names else "")
                )
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
            if type(node.op) not in _OPERATORS:
                op = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
                raise _refuse(source, node, f"not allowed: the operator {op}")
        elif isinstance(node, ast.Call):
            _check_call(source, node)
            called.add(node.func)
        else:
            what = _REFUSED.get(type(node), f"{type(node).__name__} expressions")
            raise _refuse(source, node, f"not allowed: {what}")
    return tree


def _check_call(source: str, node: ast.Call) -> None:
    if not isinstance(node.func, ast.Name):
        raise _refuse(source, node, "not allowed: calling anything but the functions listed")
    name = node.func.id
    if name not in FUNCTIONS:
        raise _refuse(source, node, f"unknown function {name}")
    if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
        raise _refuse(source, node, f"{name}() takes one plain argument")
    if len(node.args) != 1:
        raise _refuse(source, node, f"{name}() takes exactly one argument, got {len(node.args)}")


# --- evaluating it --------------------------------------------------------------------------


def _apply(operation: Callable[..., Value], operands: list[Number]) -> Number:
    """Apply an operation; plain numbers alone are folded by the engine, with its rules."""
    if any(isinstance(x, Value) for x in operands):
        return operation(*operands)
    with no_grad():
        return operation(*(Value(cast(float, x)) for x in operands)).data


def evaluate(source: str, inputs: Mapping[str, Value]) -> Number:
    """Evaluate a checked formula on Values; number-only parts stay plain floats (constants)."""
    tree = parse_expression(source, inputs)
    results: dict[ast.AST, Number] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree.body, False)]
    while stack:  # post-order without recursion: very long formulas are fine
        node, ready = stack.pop()
        operands: list[ast.expr]
        if isinstance(node, ast.BinOp):
            operands = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            operands = [node.operand]
        elif isinstance(node, ast.Call):
            operands = list(node.args)
        else:
            operands = []
        if not ready and operands:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(operands))
            continue
        args = [results.pop(child) for child in operands]
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # checked by parse_expression
            results[node] = float(node.value)
        elif isinstance(node, ast.Name):
            results[node] = inputs[node.id]
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # checked by parse_expression
            results[node] = _apply(operator.methodcaller(node.func.id), args)
        else:
            assert isinstance(node, (ast.BinOp, ast.UnaryOp))
            results[node] = _apply(_OPERATORS[type(node.op)], args)
    return results[tree.body]


# --- the program ------------------------------------------------------------------------------


def _or_none(convert: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse ``type=`` that also takes 'none', for no limit."""

    def parse(text: str) -> object:
        return None if text.strip().lower() == "none" else convert(text)

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors add how to pass a formula that starts with "-"."""

    arguments: Sequence[str] = ()  # the command line being parsed

    def error(self, message: str) -> NoReturn:
        # argparse takes "-x**2" for an unknown option: it reports it as unrecognized, and
        # the formula as missing when no other argument was left to take its place.
        unrecognized = message.partition("unrecognized arguments:")[2].split()
        if any(w.startswith("-") and not w.startswith("--") for w in unrecognized) or (
            self.arguments and message.startswith("the following arguments are required")
        ):
            message += '; a formula that starts with "-" goes after "--", as in: -- "-x**2" x=3'
        super().error(message)


def _parser() -> _Parser:
    from .render import DEFAULT_MAX_NODES, DEFAULT_TIMEOUT, FORMATS

    parser = _Parser(
        prog="python -m autograd",
        description=(
            "Evaluate a formula of named scalar inputs, backpropagate through it, print the\n"
            "result and d(result)/d(input) for every input, and optionally draw its graph."
        ),
        epilog=f"""\
examples:
  python -m autograd "tanh(a*b + c)" a=2 b=-3 c=10
  python -m autograd "x**2 + sin(x)" x=1.5 -o graph.svg
  python -m autograd -o g.png -- "-x*log(y)" x=2 y=3
      (a formula that starts with - goes after --; options go before --)

the formula may contain: numbers, the named inputs, + - * / **, unary - and +,
and calls to {", ".join(FUNCTIONS)}.
Anything else (attributes, indexing, other functions, lambdas, ...) is refused.
Input names are the labels of the inputs in the graph.

exit codes: 0 success; 2 wrong command line (bad arguments, refused or malformed
formula, bad NAME=NUMBER inputs, unknown output extension, graph above --max-nodes);
1 the computation or the output failed (log(-1), 1/0, an undefined derivative,
Graphviz's dot program missing or too slow, a file that cannot be written).""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("formula", help='the formula, e.g. "tanh(a*b + c)" (quote it)')
    parser.add_argument(
        "inputs", nargs="*", metavar="NAME=NUMBER", help="a value for each input, e.g. a=2"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help=f"draw the graph into FILE; the format follows the extension ({' '.join(FORMATS)}"
        "); .svg .png .pdf need Graphviz's dot program",
    )
    parser.add_argument(
        "--digits",
        type=option(parse_integer),
        choices=range(1, 18),
        default=4,
        metavar="N",
        help="significant digits in the graph, 1 to 17 (default 4)",
    )
    parser.add_argument(
        "--rankdir",
        choices=("LR", "TB", "RL", "BT"),
        default="LR",
        help="direction of the graph (default LR: left to right)",
    )
    parser.add_argument(
        "--max-nodes",
        type=_or_none(option(parse_integer, minimum=1)),
        default=DEFAULT_MAX_NODES,
        metavar="N",
        help=f"refuse to draw more than N Values (default {DEFAULT_MAX_NODES}; 'none' for no "
        "limit)",
    )
    parser.add_argument(
        "--timeout",
        type=_or_none(option(parse_real, positive=True)),
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop Graphviz's dot after SECONDS (default {DEFAULT_TIMEOUT:g}; 'none' for no "
        "limit)",
    )
    parser.add_argument("--no-legend", action="store_true", help="leave out the legend")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    from . import render

    parser = _parser()
    arguments = sys.argv[1:] if argv is None else list(argv)
    # Inputs and options may be mixed (f a=1 -o g.svg b=2), but argparse's intermixed mode
    # takes the argument after "--" for an unknown option (Python 3.10 to 3.13).
    parse = parser.parse_args if "--" in arguments else parser.parse_intermixed_args
    parser.arguments = arguments
    try:
        args = parse(arguments)
    except SystemExit as exc:  # --help, or a usage error already printed by argparse
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE

    def fail(code: int, message: str) -> int:
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return code

    output: Path | None = args.output
    if output is not None and output.suffix.lower() not in render.FORMATS:
        return fail(
            EXIT_USAGE,
            f"cannot tell the format of {str(output)!r} from its extension; "
            f"use one of {', '.join(render.FORMATS)}",
        )

    try:
        numbers = parse_inputs(args.inputs)
        inputs = {name: Value(value, label=name) for name, value in numbers.items()}
        result = evaluate(args.formula, inputs)  # checks the whole formula before computing
        root = result if isinstance(result, Value) else Value(result)
        root.backward()
    except ExpressionError as exc:
        return fail(EXIT_USAGE, str(exc))
    except (ValueError, ArithmeticError) as exc:  # domain errors, overflow, 1/0
        return fail(EXIT_FAILED, str(exc))
    formula = " ".join(args.formula.split())
    if not root.label:
        root.label = _shorten(formula, 40)

    print(f"{formula} = {root.data!r}")
    width = max((len(f"{n} = {v.data!r}") for n, v in inputs.items()), default=0)
    graph = topological_order(root)
    used = set(graph)
    for name, value in inputs.items():
        note = "" if value in used else "   (not in the formula)"
        print(f"{f'{name} = {value.data!r}':<{width}}   grad = {value.grad!r}{note}")

    if output is not None:
        if args.max_nodes is not None and len(graph) > args.max_nodes:
            return fail(
                EXIT_USAGE,
                f"the graph has {len(graph)} nodes (Values), more than --max-nodes "
                f"{args.max_nodes}; pass --max-nodes none to draw it anyway",
            )
        try:
            render.save(
                root,
                output,
                rankdir=args.rankdir,
                digits=args.digits,
                max_nodes=None,  # checked above, with the command line's wording
                legend=not args.no_legend,
                timeout=args.timeout,
            )
        except OSError as exc:
            return fail(EXIT_FAILED, f"cannot write {str(output)!r}: {_why_not(output, exc)}")
        except RuntimeError as exc:  # Graphviz missing, failing or too slow (RenderTimeout)
            return fail(EXIT_FAILED, f"cannot write {str(output)!r}: {exc}")
        print(f"wrote {output}")
    return EXIT_OK


def _why_not(output: Path, exc: OSError) -> str:
    """Why ``output`` could not be written, in words (without the temporary file's name)."""
    try:
        if exc.errno in (errno.ENOTDIR, errno.EEXIST):  # making the folders met a file
            for parent in reversed(output.parents):
                if parent.exists() and not parent.is_dir():
                    return f"{str(parent)!r} is a file, not a folder"
        if output.is_dir():
            return "it is a folder"
    except OSError:  # e.g. a name too long to look at
        pass
    reason = exc.strerror or str(exc)
    if exc.filename is not None and Path(exc.filename) in output.parents:
        reason += f" ({str(exc.filename)!r})"  # a folder that could not be made or entered
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason += f" (in the folder {str(output.parent)!r})"
    return reason
