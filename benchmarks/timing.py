"""Timing discipline shared by the benchmarks: alternate the contenders, round by round.

A shared machine drifts (other jobs, CPU frequency), so contenders are never timed in
separate blocks: each round runs every contender once, in a fixed order, and the comparison
is the median over rounds of the per-round ratio, which cancels drift that is slow
compared with one round.  Before each timed run the garbage collector is run (outside the
timing) so that no contender pays for another's garbage; it is never disabled, since user
code runs with it.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    """One contender: ``prepare()`` (untimed) returns the function to time; ``summarize``
    (untimed) turns its result into something small to keep, so the graph can be freed."""

    name: str
    prepare: Callable[[], Callable[[], Any]]
    summarize: Callable[[Any], Any] = lambda result: result


@dataclass
class Timings:
    """What ``alternate`` measured: seconds and summaries per case, and failures."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    summaries: dict[str, list[Any]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def median(self, name: str) -> float | None:
        """The median seconds of case ``name``, or None if it never completed."""
        runs = self.seconds.get(name)
        return statistics.median(runs) if runs else None

    def ratio(self, name: str, baseline: str) -> float | None:
        """Median over rounds of seconds(name) / seconds(baseline), rounds paired."""
        ours, theirs = self.seconds.get(name, []), self.seconds.get(baseline, [])
        pairs = [a / b for a, b in zip(ours, theirs) if b > 0]
        return statistics.median(pairs) if pairs else None


def time_once(run: Callable[[], Any]) -> tuple[float, Any]:
    """Collect garbage (untimed), then run ``run`` once: (wall-clock seconds, its result)."""
    gc.collect()
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def alternate(
    cases: Sequence[Case],
    rounds: int,
    *,
    expected_failures: tuple[type[BaseException], ...] = (RecursionError,),
    progress: Callable[[str], None] | None = None,
) -> Timings:
    """Run every case once per round, in order, for ``rounds`` rounds.

    A case that raises one of ``expected_failures`` is recorded as failed (by the
    exception's name) and skipped from then on; any other exception propagates.
    """
    timings = Timings()
    for case in cases:
        timings.seconds[case.name] = []
        timings.summaries[case.name] = []
    for round_number in range(rounds):
        for case in cases:
            if case.name in timings.failures:
                continue
            run = case.prepare()
            try:
                seconds, result = time_once(run)
            except expected_failures as exc:
                timings.failures[case.name] = type(exc).__name__
                continue
            finally:
                del run
            timings.seconds[case.name].append(seconds)
            timings.summaries[case.name].append(case.summarize(result))
            del result  # free the graph before the next case's collection
            if progress is not None:
                progress(f"round {round_number + 1}/{rounds} {case.name}: {seconds:.4f} s")
    return timings
