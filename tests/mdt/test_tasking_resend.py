"""Unacknowledged taskings sent again (dispatch/tasking_resend.py) against real Redis: under
their own ids, at most once per interval, never once acknowledged, a lent unit's from the
incident where it was borrowed to."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from cad.events import Tasking
from cad.keys import AreaKeys
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.tasking_resend import TaskingResend
from tests.dispatch.mutual_aid_fixtures import (
    RecordingPublisher,
    add_fleet,
    add_incident,
    dispatcher_for,
)

LENT_REF = "CAD 0001/23NOV26"  # an incident of CW served by CS01, lent by CS
LOCAL_REF = "CAD 0002/23NOV26"  # an incident of CS served by its own CS02
TOPICS = Topics("t")


async def _commit(
    redis: Redis, area: str, callsign: str, ref: str, tasking: str, since: int
) -> None:
    keys = AreaKeys(area)
    await redis.hset(keys.unit_status, callsign, "assigned")
    await redis.zrem(keys.available, callsign)
    await redis.hset(keys.unit_incident, callsign, ref)
    await redis.hset(keys.unit_tasking, callsign, tasking)
    await redis.hset(keys.unit_since, callsign, since)


def _sent(publisher: RecordingPublisher) -> list[tuple[str, str, str]]:
    """(topic, tasking id, incident ref) of each tasking published."""
    taskings = [(t, Tasking.model_validate_json(p)) for t, p in publisher.sent]
    return [(t, k.tasking_id, k.incident_ref) for t, k in taskings]


async def test_a_silent_tasking_is_sent_again_once_an_interval(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await add_fleet(redis, scripts)
    await add_incident(
        redis, LENT_REF, status="dispatched",
        extra={"units": "CS01", "taskings": "t-lent", "borrowed": "CS01", "lent_from:CS01": "CS"},
    )  # fmt: skip
    await add_incident(
        redis, LOCAL_REF, area="CS", status="dispatched",
        extra={"units": "CS02", "taskings": "t-local"},
    )  # fmt: skip
    now_ms = int(time.time() * 1000)
    await _commit(redis, "CS", "CS01", LENT_REF, "t-lent", since=now_ms - 10_000)
    # Sent a moment ago: not yet due.
    await _commit(redis, "CS", "CS02", LOCAL_REF, "t-local", since=now_ms)
    publisher = RecordingPublisher()
    resend = TaskingResend(redis, dispatcher_for(redis, scripts, publisher), resend_s=5.0)

    assert await resend.resend_once() == 1
    assert _sent(publisher) == [(TOPICS.tasking("CS01"), "t-lent", LENT_REF)]
    # Sent again just now: not again within the interval.
    assert await resend.resend_once() == 0
    # Acknowledged (en route): never again.
    await redis.hset(AreaKeys("CS").unit_status, "CS01", "en_route")
    await redis.hset(AreaKeys("CS").unit_since, "CS02", now_ms - 10_000)
    assert await resend.resend_once() == 1
    assert _sent(publisher)[1:] == [(TOPICS.tasking("CS02"), "t-local", LOCAL_REF)]


async def test_zero_sends_nothing_again(redis: Redis, scripts: DispatchScripts) -> None:
    await add_fleet(redis, scripts)
    await add_incident(redis, LOCAL_REF, area="CS", status="dispatched",
                       extra={"units": "CS02", "taskings": "t-local"})  # fmt: skip
    await _commit(redis, "CS", "CS02", LOCAL_REF, "t-local", since=1000)
    publisher = RecordingPublisher()
    resend = TaskingResend(redis, dispatcher_for(redis, scripts, publisher), resend_s=0)
    assert await resend.resend_once() == 0
    assert publisher.sent == []
