"""Small 2-D classification data sets, generated locally from a seed (no downloads, no sklearn).

Every generator returns ``(xs, ys)``: ``xs`` a list of ``[x1, x2]`` points, ``ys`` a list of
class indices (0 or 1).  The same ``seed`` always gives the same data, on every machine: only
``random.Random`` is used.  The points are roughly centred on the origin and within [-1.5, 1.5],
so a network with default initialisation can fit them without any rescaling.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from autograd.checks import brief, integer, real

__all__ = ["Dataset", "two_moons", "spirals", "circles", "split", "DATASETS"]

Dataset = tuple[list[list[float]], list[int]]


def _check(generator: str, n: object, noise: object) -> tuple[int, float]:
    """n as an int >= 2 and noise as a finite float >= 0, or a TypeError / ValueError.

    The message names the generator and the argument, e.g. "two_moons: n must be ...".
    """
    return (
        integer(n, generator, "n", 2),
        real(noise, generator, "noise", minimum=0.0),
    )


def _fraction(value: object, who: str, what: str) -> float:
    """``value`` as a float strictly between 0 and 1 (checks.real words the type error)."""
    x = real(value, who, what, positive=True)
    if x >= 1:
        raise ValueError(f"{who}: {what} must be a fraction in (0, 1), got {brief(value)}")
    return x


def _shuffled(points: list[tuple[float, float, int]], rng: random.Random) -> Dataset:
    """Shuffle so that classes are interleaved (a split then keeps both classes)."""
    rng.shuffle(points)
    return [[x1, x2] for x1, x2, _ in points], [label for _, _, label in points]


def two_moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles (class 0 on top, class 1 below), with Gaussian noise."""
    n, noise = _check("two_moons", n, noise)
    rng = random.Random(seed)
    points = []
    for i in range(n):
        label = i % 2
        t = math.pi * rng.random()
        if label == 0:
            x1, x2 = math.cos(t), math.sin(t)
        else:
            x1, x2 = 1.0 - math.cos(t), 0.5 - math.sin(t)
        # centre the pair of moons on the origin
        x1 += rng.gauss(0.0, noise) - 0.5
        x2 += rng.gauss(0.0, noise) - 0.25
        points.append((x1, x2, label))
    return _shuffled(points, rng)


def spirals(n: int = 200, noise: float = 0.05, seed: int = 0, turns: float = 1.25) -> Dataset:
    """Two interleaved Archimedean spirals, each making ``turns`` turns out from the centre."""
    n, noise = _check("spirals", n, noise)
    rng = random.Random(seed)
    points = []
    for i in range(n):
        label = i % 2
        r = rng.random()
        angle = 2.0 * math.pi * turns * r + math.pi * label
        radius = 0.15 + 1.2 * r  # start a little off the centre: it is ambiguous there
        x1 = radius * math.cos(angle) + rng.gauss(0.0, noise)
        x2 = radius * math.sin(angle) + rng.gauss(0.0, noise)
        points.append((x1, x2, label))
    return _shuffled(points, rng)


def circles(n: int = 200, noise: float = 0.08, seed: int = 0, factor: float = 0.5) -> Dataset:
    """A ring (class 0, radius 1) around a smaller one (class 1, radius ``factor``)."""
    n, noise = _check("circles", n, noise)
    factor = _fraction(factor, "circles", "factor")
    rng = random.Random(seed)
    points = []
    for i in range(n):
        label = i % 2
        t = 2.0 * math.pi * rng.random()
        radius = 1.0 if label == 0 else factor
        x1 = radius * math.cos(t) + rng.gauss(0.0, noise)
        x2 = radius * math.sin(t) + rng.gauss(0.0, noise)
        points.append((x1, x2, label))
    return _shuffled(points, rng)


def split(
    xs: list[list[float]], ys: list[int], held_out: float = 0.3, seed: int = 0
) -> tuple[list[list[float]], list[int], list[list[float]], list[int]]:
    """Shuffle, then split into (train xs, train ys, held-out xs, held-out ys)."""
    if len(xs) != len(ys):
        raise ValueError(f"split: xs and ys have different lengths ({len(xs)} and {len(ys)})")
    held_out = _fraction(held_out, "split", "held_out")
    order = list(range(len(xs)))
    random.Random(seed).shuffle(order)
    n_held = max(1, round(held_out * len(xs)))
    if n_held >= len(xs):
        raise ValueError(f"split: held_out={held_out} leaves no training data for {len(xs)} points")
    held, train = order[:n_held], order[n_held:]
    return (
        [xs[i] for i in train],
        [ys[i] for i in train],
        [xs[i] for i in held],
        [ys[i] for i in held],
    )


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": two_moons,
    "spirals": spirals,
    "circles": circles,
}
