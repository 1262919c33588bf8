"""Running the service's long-lived tasks so that none can die silently.

A supervised task that raises is logged (an expected outage at WARNING, anything else with its
traceback) and runs again after the backoff of its `TaskBoard` (cad/task_health.py), which also
says whether it is healthy: readiness and the metrics read the board. A cancellation is never
caught here: shutdown stops a supervised task at once, during a run or during a backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cad.logs import log
from cad.outages import outage_of
from cad.task_health import TaskBoard

logger = logging.getLogger("cad.supervisor")


def describe(error: BaseException) -> str:
    """The error's type and message on one line."""
    first = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def report_failure(
    log_to: logging.Logger, event: str, error: BaseException, **fields: object
) -> None:
    """Log a failure with its context (task, area, callsign, incident_ref ...): an expected one
    as a warning, any other as an error with its traceback."""
    # An outage of Redis or the broker (or the network under them) is waited out and retried,
    # and worth a warning, not a traceback.
    if outage_of(error) is not None:
        log(log_to, logging.WARNING, event, error=describe(error), **fields)
    else:
        log_to.error(event, exc_info=error, extra={"fields": {"error": describe(error), **fields}})


class Supervisor:
    """Starts tasks that run again after a failure, and keeps their health on `board`."""

    def __init__(self, board: TaskBoard, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.board = board
        self._clock = clock

    def start(self, name: str, work: Callable[[], Awaitable[Any]]) -> asyncio.Task[None]:
        """Run `work()` until it returns (the task has finished on purpose, e.g. after its
        `close`); when it raises, log it and run it again after the backoff. A run that lasted
        the policy's `healthy_after_s` resets the backoff."""
        self.board.register(name)
        return asyncio.create_task(self._keep(name, work), name=name)

    def start_periodic(
        self,
        name: str,
        round_: Callable[[], Awaitable[Any]],
        *,
        interval_s: float,
        first_after_s: float = 0.0,
    ) -> asyncio.Task[None]:
        """Run `round_()` every `interval_s` (the first after `first_after_s`) until cancelled.
        A round that raises is logged and followed by the next after the backoff instead; a
        round that completes shows the task works."""
        self.board.register(name)
        return asyncio.create_task(self._repeat(name, round_, interval_s, first_after_s), name=name)

    async def _keep(self, name: str, work: Callable[[], Awaitable[Any]]) -> None:
        while True:
            self.board.started(name, self._clock())
            try:
                await work()
            except Exception as error:
                backoff = self._failed(name, error)
            else:
                self.board.stopped(name)
                log(logger, logging.INFO, "task_finished", task=name)
                return
            await asyncio.sleep(backoff)

    async def _repeat(
        self,
        name: str,
        round_: Callable[[], Awaitable[Any]],
        interval_s: float,
        first_after_s: float,
    ) -> None:
        await asyncio.sleep(first_after_s)
        while True:
            self.board.started(name, self._clock())
            try:
                await round_()
            except Exception as error:
                wait_s = self._failed(name, error)
            else:
                self.board.succeeded(name)
                wait_s = interval_s
            await asyncio.sleep(wait_s)

    def _failed(self, name: str, error: Exception) -> float:
        backoff = self.board.failed(name, self._clock(), describe(error))
        health = self.board.health_of(name, self._clock())
        report_failure(
            logger, "task_failed", error, task=name, retry_s=backoff, failures=health.failures,
            restarts=health.restarts, healthy=health.healthy,
        )  # fmt: skip
        return backoff
