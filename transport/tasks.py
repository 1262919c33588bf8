"""Bounded background work for message handlers: the MQTT loop never waits on a slow handler,
yet no more than `limit` handlers run at once, and shutdown can wait for them all."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger("cad.tasks")


class TaskPool:
    """Runs coroutines as tasks, at most `limit` at a time, and drains them on shutdown."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()

    async def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Start `work` once a slot is free (back-pressure on the caller while all are busy)."""
        await self._slots.acquire()
        task = asyncio.create_task(self._run(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._settled)
        return task

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            # Retrieved here (it was logged in _run), so asyncio does not report it again.
            task.exception()

    async def _run(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except Exception:
            # One failing message must never take the consumer down with it; the task still
            # ends with the error, so that whoever acknowledges the message knows not to.
            logger.exception("handler_failed", extra={"fields": {"task": name}})
            raise
        finally:
            self._slots.release()

    async def drain(self, *, within_s: float) -> None:
        """Wait for the running tasks to finish; cancel what is left after `within_s`."""
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks), timeout=within_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    @property
    def running(self) -> int:
        """How many tasks run now."""
        return len(self._tasks)
