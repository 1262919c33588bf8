"""Waits that never swallow a cancellation: timed waits, and waiting for a cancelled task.

On Python 3.11 `asyncio.wait_for` drops a cancellation that arrives in the loop turn its awaitable
finishes in, returning the result instead (CPython gh-86296, fixed in 3.12): a cancelled watcher
then runs on through shutdown. `asyncio.timeout` has no such window, so every timed wait uses it.
"""

from __future__ import annotations

import asyncio
from typing import Any


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
    task.cancel()
    await asyncio.wait({task})
    error = None if task.cancelled() else task.exception()
    if error is not None:
        raise error
