"""Open-loop pacing on asyncio: start an operation when it is due, and say when its latency
counts from."""

from __future__ import annotations

import asyncio
import time

# asyncio's epoll timeout and uvloop's timers are whole milliseconds: a sleep until the due time
# wakes up to a millisecond after it, and an open loop would count that as the system's latency.
_TIMER_GRAIN_S = 0.001


async def start_when_due(due: float) -> float:
    """Wait until about `due` (a perf_counter time), waking up to 1 ms early rather than late;
    returns the time latency counts from: `due`, or now if woken early."""
    delay = due - time.perf_counter() - _TIMER_GRAIN_S
    if delay > 0:
        await asyncio.sleep(delay)
    # Late (the loop was busy): the wait counts, as it would for a caller. Early: it does not.
    return min(due, time.perf_counter())
