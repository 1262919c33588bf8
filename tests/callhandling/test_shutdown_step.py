"""A shutdown step that will not finish is given up on time, so SIGTERM always ends the process."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import pytest

from service.runtime import shutdown_step


async def _stubborn() -> None:
    # Shielded: cancelling the step does not stop this, as with a client that will not let go.
    await asyncio.shield(asyncio.sleep(30))


async def test_a_stuck_step_is_given_up_after_its_time_and_said_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    await shutdown_step("stuck", _stubborn(), 0.2)
    assert time.monotonic() - started < 2
    assert any(r.getMessage() == "shutdown_step_timed_out" for r in caplog.records)


async def _fails() -> None:
    raise OSError("connection reset")


@pytest.mark.parametrize(
    ("work", "event"),
    [(lambda: asyncio.sleep(0), None), (_fails, "shutdown_step_failed")],
    ids=["finishes", "fails"],
)
async def test_a_step_that_ends_is_waited_for_and_its_failure_logged(
    work: Callable[[], Awaitable[None]], event: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await shutdown_step("step", work(), 5.0)
    assert [r.getMessage() for r in caplog.records] == ([event] if event else [])
