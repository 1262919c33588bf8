"""Waits that never swallow a cancellation: timed waits, and waiting for a cancelled task.

On Python 3.11 `asyncio.wait_for` drops a cancellation that arrives in the loop turn its awaitable
finishes in, returning the result instead (CPython gh-86296, fixed in 3.12): a cancelled watcher
then runs on through shutdown. `asyncio.timeout` has no such window, so every timed wait uses it.
A library may still use `wait_for` (redis-py's connection does to write a command), so a task
cancelled is cancelled again while it runs on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

# How long a cancelled task may run on before it is cancelled again: longer than the clean-up
# of a task cut short takes (a reset, a rollback), far shorter than a lease.
RECANCEL_AFTER_S = 0.5


async def wait_until_set(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait at most `timeout_s` for `event`; whether it was set."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` (if there is one) and wait until it has ended, raising the error it ended
    with, if any.

    `suppress(CancelledError)` around `await task`, the usual idiom, would also swallow the
    cancellation of the caller itself if it came during the wait.
    """
    if task is None:
        return
    await cancel_all_and_wait([task])
    error = None if task.cancelled() else task.exception()
    if error is not None:
        raise error


async def cancel_all_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel every task and wait until each has ended, cancelling again any that still runs
    `RECANCEL_AFTER_S` later: one whose cancellation a library's `wait_for` dropped would run
    on for ever (a led job's loop renewing its lease after its replica had stopped)."""
    running = {task for task in tasks if not task.done()}
    while running:
        for task in running:
            task.cancel()
        _, running = await asyncio.wait(running, timeout=RECANCEL_AFTER_S)
