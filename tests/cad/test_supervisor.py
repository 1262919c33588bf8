"""The supervisor running real coroutines: failures logged and restarted, health kept, and a
cancellation (shutdown) stopping a task at once, whether it is running or backing off."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from cad.supervisor import Supervisor
from cad.task_health import RestartPolicy, TaskBoard
from tests.helpers import eventually, holds

FAST = RestartPolicy(
    first_backoff_s=0.01, max_backoff_s=0.05, healthy_after_s=60.0, unhealthy_after_failures=3
)


class Flaky:
    """A unit of work that raises `error` on its first `failures` calls, then works."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.calls = 0
        self._failures = failures
        self._error = error

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(0)
        if self.calls <= self._failures:
            raise type(self._error)(*self._error.args)  # a fresh one: its own traceback


def _failed_records(caplog: pytest.LogCaptureFixture, task: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.getMessage() == "task_failed" and r.__dict__["fields"]["task"] == task
    ]


async def test_a_round_that_fails_twice_is_logged_restarted_and_healthy_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(TaskBoard(FAST))
    work = Flaky(2, ValueError("bad record"))
    task = supervisor.start_periodic("flaky", work, interval_s=0.01)
    try:
        await eventually(lambda: holds(work.calls >= 4))
    finally:
        task.cancel()
    failed = _failed_records(caplog, "flaky")
    assert len(failed) == 2
    # A programming error: logged as an error, with its traceback and the task's name.
    assert all(r.levelno == logging.ERROR and r.exc_info is not None for r in failed)
    assert failed[0].__dict__["fields"]["error"] == "ValueError: bad record"
    assert [r.__dict__["fields"]["retry_s"] for r in failed] == [0.01, 0.02]
    health = supervisor.board.health_of("flaky", time.monotonic())
    assert (health.healthy, health.failures, health.restarts) == (True, 0, 2)


async def test_an_outage_is_a_warning_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(TaskBoard(FAST))
    work = Flaky(1, RedisConnectionError("Connection refused"))
    task = supervisor.start_periodic("outage", work, interval_s=0.01)
    try:
        await eventually(lambda: holds(work.calls >= 2))
    finally:
        task.cancel()
    (failed,) = _failed_records(caplog, "outage")
    assert (failed.levelno, failed.exc_info) == (logging.WARNING, None)
    assert failed.__dict__["fields"]["error"] == "ConnectionError: Connection refused"


async def test_a_task_that_fails_every_time_becomes_unhealthy() -> None:
    supervisor = Supervisor(TaskBoard(FAST))
    work = Flaky(10**9, KeyError("units"))
    task = supervisor.start("broken", work)
    try:
        await eventually(lambda: holds(work.calls >= 4))
        health = supervisor.board.health_of("broken", time.monotonic())
    finally:
        task.cancel()
    assert not health.healthy
    assert health.restarts >= 3
    assert health.last_error == "KeyError: 'units'"


async def test_a_forever_task_is_run_again_and_a_returning_one_is_left_finished(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(TaskBoard(FAST))
    work = Flaky(2, RuntimeError("link bug"))
    with caplog.at_level(logging.INFO, logger="cad.supervisor"):
        task = supervisor.start("link", work)
        async with asyncio.timeout(5):
            await task  # the third run returns: the task has finished on purpose
    assert work.calls == 3
    assert any(r.getMessage() == "task_finished" for r in caplog.records)
    assert supervisor.board.health_of("link", time.monotonic()).restarts == 2


@pytest.mark.parametrize("during", ["backoff", "run"])
async def test_a_cancellation_stops_a_supervised_task_at_once(during: str) -> None:
    slow = RestartPolicy(first_backoff_s=60.0, max_backoff_s=60.0)
    supervisor = Supervisor(TaskBoard(slow))
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        if during == "backoff":
            raise ValueError("fails, then backs off for a minute")
        await asyncio.Event().wait()

    task = supervisor.start("stubborn", work)
    await started.wait()
    await asyncio.sleep(0.01)  # past the failure, into the backoff (or still in the run)
    task.cancel()
    cancelled_at = time.monotonic()
    done, _ = await asyncio.wait({task}, timeout=1.0)
    assert done, "the supervised task did not stop"
    assert time.monotonic() - cancelled_at < 0.5
    assert task.cancelled()  # the cancellation went on as it came: never swallowed


async def test_a_periodic_task_waits_its_first_delay_but_shows_at_once() -> None:
    supervisor = Supervisor(TaskBoard(FAST))
    work = Flaky(0, ValueError())
    task = supervisor.start_periodic("later", work, interval_s=0.01, first_after_s=60.0)
    try:
        await asyncio.sleep(0.05)
        assert work.calls == 0
        assert [h.name for h in supervisor.board.health(time.monotonic())] == ["later"]
    finally:
        task.cancel()
