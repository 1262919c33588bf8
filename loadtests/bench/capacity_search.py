"""Capacity by stepping the offered rate: the highest rate at which a run keeps up.

A run keeps up when every call was answered by the run's end (nothing late or lost) and its p99
stayed within the limit. A rate fails when two runs at it in a row fail: on a shared machine one
stall of a few hundred milliseconds would otherwise end a search at a rate far below what the
pipeline sustains. From the start rate the search doubles until a rate fails (or halves until
one passes), then bisects between the last pass and the first fail on a log scale: each
bisection halves the gap's ratio (one: within 1.41x; two: within 1.19x).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loadtests.bench.stats import Figures

# Runs at one rate before it counts as failed.
_TRIES = 2


@dataclass(frozen=True)
class Ladder:
    """Where the search starts, its bounds, and how finely it ends."""

    start: float
    # Never offered more: beyond it the generator, not the pipeline, is what a run measures.
    highest: float
    lowest: float
    bisections: int


@dataclass(frozen=True)
class Step:
    """One run at one offered rate."""

    offered: float
    figures: Figures
    # Every call answered (and, for the service, recorded) by the end of the run.
    answered_all: bool

    def kept_up(self, p99_limit_ms: float) -> bool:
        """Whether this run counts as within capacity."""
        return self.answered_all and self.figures.count > 0 and self.figures.p99_ms <= p99_limit_ms


@dataclass(frozen=True)
class Search:
    """What one search found: the capacity (0 when even the lowest rate failed) and each step."""

    capacity: float
    steps: list[Step]

    def at_capacity(self) -> Step | None:
        """The run at the capacity found."""
        return next((s for s in reversed(self.steps) if s.offered == self.capacity), None)


async def find_capacity(
    probe: Callable[[float], Awaitable[Step]], ladder: Ladder, p99_limit_ms: float
) -> Search:
    """Step the offered rate through `probe` (one run at that rate) to the capacity."""
    steps: list[Step] = []

    async def passes(rate: float) -> bool:
        for _ in range(_TRIES):
            step = await probe(rate)
            steps.append(step)
            if step.kept_up(p99_limit_ms):
                return True
        return False

    passed, failed = 0.0, math.inf
    rate = ladder.start
    if await passes(rate):
        passed = rate
        while passed < ladder.highest:
            rate = min(passed * 2, ladder.highest)
            if not await passes(rate):
                failed = rate
                break
            passed = rate
    else:
        failed = rate
        while failed / 2 >= ladder.lowest:
            rate = failed / 2
            if await passes(rate):
                passed = rate
                break
            failed = rate
    if passed and failed < math.inf:
        for _ in range(ladder.bisections):
            rate = round(math.sqrt(passed * failed))
            if await passes(rate):
                passed = rate
            else:
                failed = rate
    return Search(passed, steps)
