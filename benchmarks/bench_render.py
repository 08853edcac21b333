"""How fast ``draw`` builds the DOT source of a large graph (Graphviz's ``dot`` is not run).

Run with ``python benchmarks/bench_render.py`` (``--nodes N`` for another size).  Prints the
best of several repeats and the rate in Values per second, the time at a quarter and half
of the size (building the source is linear, so doubling the size about doubles the time),
and checks that ``max_nodes`` (500 by default) refuses the graph unless told otherwise.
"""

from __future__ import annotations

import argparse

from timing import best_of

from autograd import Value, topological_order
from autograd.render import DEFAULT_MAX_NODES, draw


def graph(n_values: int) -> Value:
    """A graph of exactly ``n_values`` Values mixing inputs, parameters, constants and ops."""
    x = Value(0.5, label="x")
    w = Value(0.9, label="w")
    w.is_parameter = True
    y, count = x * w, 3
    steps = (
        lambda v: v + x,  # one new Value each (x, w are shared)
        lambda v: v.tanh(),
        lambda v: v * w,
        lambda v: v.sigmoid(),
    )
    while count < n_values:
        y = steps[count % len(steps)](y)
        count += 1
    assert len(topological_order(y)) == n_values
    return y


def best_time(root: Value, repeats: int) -> float:
    """The fastest of ``repeats`` builds of the full DOT source, in seconds."""
    return best_of(lambda: draw(root, max_nodes=None).source, repeats)


def main() -> None:
    """Time draw(...).source on a large graph and check the max_nodes guard."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=20_000, help="Values in the graph")
    parser.add_argument("--repeats", type=int, default=5, help="take the best of this many")
    args = parser.parse_args()

    root = graph(args.nodes)
    root.backward()
    try:
        draw(root)
    except ValueError as exc:
        print(f"default max_nodes={DEFAULT_MAX_NODES} refuses it: {exc}")
    else:
        raise SystemExit(f"draw() accepted {args.nodes} nodes with the default max_nodes")

    print(f"{'Values':>8} {'seconds':>9} {'Values/s':>10}")
    for size in (args.nodes // 4, args.nodes // 2, args.nodes):
        seconds = best_time(graph(size) if size != args.nodes else root, args.repeats)
        print(f"{size:>8} {seconds:>9.3f} {size / seconds:>10,.0f}")


if __name__ == "__main__":
    main()
