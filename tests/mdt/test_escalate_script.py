"""escalate_tasking.lua against real Redis: only an overdue, unanswered tasking is escalated."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys
from dispatch.acks import DueTasking, escalate
from dispatch.scripts import DispatchScripts

KEYS = AreaKeys("CW")
REF = "CAD 0001/23NOV26"


async def _incident(redis: Redis, units: dict[str, tuple[str, str]]) -> None:
    """An incident with these units: callsign -> (status, tasking id), claimed at t=1000."""
    await redis.hset(
        KEYS.incident(REF),
        mapping={
            "status": "dispatched",
            "units": ",".join(units),
            "taskings": ",".join(t for _, t in units.values()),
        },
    )
    for callsign, (status, tasking) in units.items():
        await redis.hset(KEYS.unit_status, callsign, status)
        await redis.hset(KEYS.unit_incident, callsign, REF)
        await redis.hset(KEYS.unit_tasking, callsign, tasking)
        await redis.hset(KEYS.unit_since, callsign, 1000)


def _due(callsign: str, tasking: str) -> DueTasking:
    return DueTasking("CW", callsign, tasking, REF)


async def test_the_last_unit_escalated_sends_the_incident_back_to_new(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _incident(redis, {"A": ("assigned", "t1")})
    await redis.geoadd(KEYS.available, (-0.1, 51.5, "A"))
    done = await escalate(
        redis, scripts, _due("A", "t1"), now_ms=5000, cutoff_ms=2000, actor="test"
    )
    assert done is not None
    assert (done.ref, done.units_left, done.position) == (REF, (), 1)
    assert await redis.hget(KEYS.unit_status, "A") == "unresponsive"
    assert await redis.hget(KEYS.unit_incident, "A") is None
    assert await redis.hget(KEYS.unit_tasking, "A") is None
    assert await redis.zscore(KEYS.available, "A") is None
    incident = await redis.hgetall(KEYS.incident(REF))
    assert (incident["status"], incident["units"], incident["taskings"]) == ("new", "", "")
    types = [fields["type"] for _, fields in await redis.xrange(KEYS.audit)]
    assert types == ["tasking_unacknowledged", "unit_status"]


async def test_one_of_several_units_is_released_and_the_others_stay(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _incident(redis, {"A": ("en_route", "t1"), "B": ("assigned", "t2")})
    done = await escalate(
        redis, scripts, _due("B", "t2"), now_ms=5000, cutoff_ms=2000, actor="test"
    )
    assert done is not None
    assert (done.units_left, done.position) == (("A",), 2)
    incident = await redis.hgetall(KEYS.incident(REF))
    expected = ("dispatched", "A", "t1")
    assert (incident["status"], incident["units"], incident["taskings"]) == expected


@pytest.mark.parametrize(
    ("status", "tasking", "cutoff_ms"),
    [
        ("en_route", "t1", 2000),  # acknowledged in time
        ("assigned", "t9", 2000),  # holds a newer tasking than the one checked
        ("assigned", "t1", 999),  # not yet due
        ("link_lost", "t1", 2000),  # the will came first: the dispatcher already sees it
    ],
    ids=["acknowledged", "replaced", "not-due", "link-lost"],
)
async def test_nothing_changes_unless_overdue_and_unanswered(
    redis: Redis, scripts: DispatchScripts, status: str, tasking: str, cutoff_ms: int
) -> None:
    await _incident(redis, {"A": (status, tasking)})
    done = await escalate(
        redis, scripts, _due("A", "t1"), now_ms=5000, cutoff_ms=cutoff_ms, actor="t"
    )
    assert done is None
    assert await redis.hget(KEYS.unit_status, "A") == status
    assert await redis.hget(KEYS.incident(REF), "units") == "A"
    assert await redis.xlen(KEYS.audit) == 0
