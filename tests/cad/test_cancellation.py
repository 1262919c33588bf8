"""A cancelled task stops, whichever loop turn the cancellation lands on: timed waits, and
publishes through the service's link and its MQTT client, against the session's real broker.

Python 3.11's `asyncio.wait_for` drops a cancellation that lands as its awaitable finishes: a
cancelled ack watch then ran on through shutdown and escalated a unit it should not have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from cad.settings import Settings
from cad.waits import RECANCEL_AFTER_S, cancel_and_wait, wait_until_set
from tests.helpers import eventually, holds, mqtt_client
from transport.mqtt import MqttLink
from transport.mqtt_logins import replica_login

# Enough loop turns to land a cancellation on every step of one publish, several times over.
TURNS = 60


async def _stops_when_cancelled(step: Callable[[], Awaitable[object]], after_turns: int) -> bool:
    """Run `step` over and over in a task, cancel it after `after_turns`: whether it stopped."""

    async def forever() -> None:
        while True:
            await step()
            await asyncio.sleep(0)

    task = asyncio.create_task(forever())
    for _ in range(after_turns):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.wait({task}, timeout=0.5)
    if task.done():
        return task.cancelled()
    while not task.done():  # swallowed: end it for good (each try may be swallowed too)
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    return False


async def test_a_timed_wait_on_a_set_event_passes_every_cancellation_on() -> None:
    event = asyncio.Event()
    event.set()
    stopped = [
        await _stops_when_cancelled(lambda: wait_until_set(event, 1.0), turns)
        for turns in range(TURNS)
    ]
    assert all(stopped), [t for t, ok in enumerate(stopped) if not ok]


async def test_a_timed_wait_says_whether_the_event_was_set() -> None:
    event = asyncio.Event()
    assert await wait_until_set(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_until_set(event, 5.0) is True


async def test_a_publish_through_the_link_passes_every_cancellation_on(settings: Settings) -> None:
    link = MqttLink(settings, replica_login(settings), [])
    running = asyncio.create_task(link.run())
    try:
        await eventually(lambda: holds(link.connected))
        topic = f"{settings.topic_root}/test/cancellation"
        stopped = [
            await _stops_when_cancelled(lambda: link.publish(topic, b"x", qos=1), turns)
            for turns in range(TURNS)
        ]
    finally:
        link.close()
        await running
    assert all(stopped), [t for t, ok in enumerate(stopped) if not ok]


async def test_a_publish_awaiting_its_puback_passes_every_cancellation_on(
    settings: Settings,
) -> None:
    topic = f"{settings.topic_root}/test/cancellation"
    async with mqtt_client(settings, "cancellation") as client:
        stopped = [
            await _stops_when_cancelled(lambda: client.publish(topic, b"x", qos=1), turns)
            for turns in range(TURNS)
        ]
    assert all(stopped), [t for t, ok in enumerate(stopped) if not ok]


async def test_cancelling_the_one_waiting_for_a_cancelled_task_stops_it() -> None:
    """A task slow to end (its clean-up takes a while) holds its canceller: that one can still
    be cancelled itself, and the slow task is left to finish its clean-up."""
    release = asyncio.Event()

    async def slow_to_end() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await release.wait()

    slow = asyncio.create_task(slow_to_end())
    await asyncio.sleep(0)
    canceller = asyncio.create_task(cancel_and_wait(slow))
    await asyncio.sleep(0.01)
    canceller.cancel()
    await asyncio.wait({canceller}, timeout=1.0)
    assert canceller.cancelled()
    assert not slow.done()
    release.set()
    await asyncio.wait({slow}, timeout=1.0)
    assert slow.cancelled()


async def test_a_task_that_drops_a_cancellation_is_cancelled_again_until_it_ends() -> None:
    """As 3.11's `asyncio.wait_for` inside a library can: the task runs on after the first."""
    dropped = 0

    async def drops_two() -> None:
        nonlocal dropped
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                dropped += 1
                if dropped > 2:
                    raise

    task = asyncio.create_task(drops_two())
    await asyncio.sleep(0)
    async with asyncio.timeout(4 * RECANCEL_AFTER_S):
        await cancel_and_wait(task)
    assert task.cancelled()
    assert dropped == 3


async def test_waiting_for_a_cancelled_task_raises_the_error_it_ended_with() -> None:
    async def fails() -> None:
        raise ValueError("broken")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="broken"):
        await cancel_and_wait(task)


async def test_a_connect_awaiting_its_connack_passes_every_cancellation_on(
    settings: Settings,
) -> None:
    async def connect_and_leave() -> None:
        async with mqtt_client(settings, "cancellation-connect"):
            pass

    stopped = [await _stops_when_cancelled(connect_and_leave, turns) for turns in range(TURNS)]
    assert all(stopped), [t for t, ok in enumerate(stopped) if not ok]
