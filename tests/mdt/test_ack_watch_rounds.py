"""One round of the acknowledgement watch against real Redis: a failure in one area or one
escalation is logged with its context and never stops the others, a lent unit's incident side
that failed is finished at the next round, and two rounds at once escalate each tasking once."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from redis.asyncio import Redis

from cad.incident_types import load_catalogue
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.ack_watch import AckWatch
from dispatch.scripts import DispatchScripts, register_scripts
from tests.dispatch.mutual_aid_fixtures import (
    RecordingPublisher,
    add_fleet,
    add_incident,
    dispatcher_for,
)
from transport.redis_client import open_redis

CW, CS = AreaKeys("CW"), AreaKeys("CS")
LENT_REF = "CAD 0001/23NOV26"  # an incident of CW served by CS01, lent by CS
LOCAL_REF = "CAD 0002/23NOV26"  # an incident of CS served by its own CS02


def _watch(redis: Redis, scripts: DispatchScripts, publisher: RecordingPublisher) -> AckWatch:
    return AckWatch(
        redis, scripts, dispatcher_for(redis, scripts, publisher), publisher, Topics("t"),
        catalogue=load_catalogue(), timeout_s=60.0,
    )  # fmt: skip


async def _commit(redis: Redis, area: str, callsign: str, ref: str, tasking: str) -> None:
    """The unit as a claim (or a loan) leaves it: assigned to `ref`, long ago."""
    keys = AreaKeys(area)
    await redis.hset(keys.unit_status, callsign, "assigned")
    await redis.zrem(keys.available, callsign)
    await redis.hset(keys.unit_incident, callsign, ref)
    await redis.hset(keys.unit_tasking, callsign, tasking)
    await redis.hset(keys.unit_since, callsign, 1000)


async def _lent_and_local(redis: Redis, scripts: DispatchScripts) -> None:
    """CS01 lent to CW's LENT_REF, CS02 on its own area's LOCAL_REF; both silent since t=1000."""
    await add_fleet(redis, scripts)
    await add_incident(
        redis, LENT_REF, status="dispatched",
        extra={"units": "CS01", "taskings": "t-lent", "borrowed": "CS01", "lent_from:CS01": "CS"},
    )  # fmt: skip
    await _commit(redis, "CS", "CS01", LENT_REF, "t-lent")
    await add_incident(
        redis, LOCAL_REF, area="CS", status="dispatched",
        extra={"units": "CS02", "taskings": "t-local"},
    )  # fmt: skip
    await _commit(redis, "CS", "CS02", LOCAL_REF, "t-local")


async def test_a_lent_unit_is_escalated_as_a_saga_and_its_incident_borrows_again(
    redis: Redis, scripts: DispatchScripts
) -> None:
    await _lent_and_local(redis, scripts)
    publisher = RecordingPublisher()
    done = await _watch(redis, scripts, publisher).check_once()
    by_unit = {e.callsign: e for e in done}
    assert set(by_unit) == {"CS01", "CS02"}
    lent = by_unit["CS01"]
    assert (lent.area, lent.unit_area, lent.units_left, lent.released) == ("CW", "CS", (), True)
    assert await redis.keys("cad:{CS}:incident:" + LENT_REF) == []
    incident = await redis.hgetall(CW.incident(LENT_REF))
    # Re-dispatched at once: CN01 (King's Cross) is the nearest unit still free.
    assert (incident["units"], incident["borrowed"]) == ("CN01", "CN01")
    assert "lent_from:CS01" not in incident
    told = [json.loads(p) for t, p in publisher.sent if t == Topics("t").incident(LENT_REF)]
    assert [(m["callsign"], m["replaced_by"]) for m in told] == [("CS01", ["CN01"])]


async def test_a_failing_area_or_escalation_does_not_stop_the_round(
    redis: Redis, scripts: DispatchScripts, caplog: pytest.LogCaptureFixture
) -> None:
    await _lent_and_local(redis, scripts)
    # Area ZZ's status hash is not a hash (a WRONGTYPE error from Redis), and LOCAL_REF's record
    # cannot be read back as an incident (as the tester's partial record could not).
    await redis.sadd(GlobalKeys().areas, "ZZ")
    await redis.set(AreaKeys("ZZ").unit_status, "not a hash")
    await redis.hdel(CS.incident(LOCAL_REF), "lon", "lat", "call_id")
    publisher = RecordingPublisher()
    done = await _watch(redis, scripts, publisher).check_once()
    assert {e.callsign for e in done} == {"CS01", "CS02"}
    assert await redis.hget(CS.unit_status, "CS02") == "unresponsive"
    assert await redis.hget(CW.incident(LENT_REF), "units") == "CN01"
    failures = {
        r.getMessage(): r.__dict__["fields"] for r in caplog.records if r.levelno >= logging.WARNING
    }
    assert failures["ack_check_failed"]["area"] == "ZZ"
    redispatch = failures["redispatch_failed"]
    assert (redispatch["incident_ref"], redispatch["callsign"]) == (LOCAL_REF, "CS02")
    assert redispatch["error"].startswith("UnreadableRecordError")
    # Dispatchers were still told of the silent unit whose incident could not be re-dispatched.
    told = [json.loads(p) for t, p in publisher.sent if t == Topics("t").incident(LOCAL_REF)]
    assert [(m["callsign"], m["short"]) for m in told] == [("CS02", True)]


async def test_an_incident_side_that_failed_is_finished_at_the_next_round(
    redis: Redis, scripts: DispatchScripts, caplog: pytest.LogCaptureFixture
) -> None:
    await _lent_and_local(redis, scripts)
    await redis.hdel(CS.unit_status, "CS02")  # only the lent unit is due
    record = await redis.hgetall(CW.incident(LENT_REF))
    # The borrowing side answers with an error (its key holds the wrong type) for one round.
    await redis.delete(CW.incident(LENT_REF))
    await redis.set(CW.incident(LENT_REF), "broken for a moment")
    watch = _watch(redis, scripts, RecordingPublisher())
    assert await watch.check_once() == []
    assert await redis.hget(CS.unit_status, "CS01") == "unresponsive"
    (failed,) = [r for r in caplog.records if r.getMessage() == "escalation_failed"]
    assert failed.__dict__["fields"]["incident_ref"] == LENT_REF
    await redis.delete(CW.incident(LENT_REF))
    await redis.hset(CW.incident(LENT_REF), mapping=record)
    (finished,) = await watch.check_once()
    assert (finished.callsign, finished.area, finished.released) == ("CS01", "CW", True)
    incident = await redis.hgetall(CW.incident(LENT_REF))
    assert "CS01" not in incident["units"].split(",")
    assert "lent_from:CS01" not in incident
    assert await watch.check_once() == []  # finished once, not again (CN01 is not yet due)


async def test_two_watches_at_once_escalate_each_tasking_once(
    redis: Redis, scripts: DispatchScripts, settings: Settings
) -> None:
    """Two replicas' rounds at the same moment, each on its own connection, as when two briefly
    both lead the job (a lease lost in a failover): each overdue tasking is escalated, replaced
    and told of once, by one of them."""
    other = open_redis(settings)
    try:
        for _ in range(5):
            await redis.flushdb()
            await _lent_and_local(redis, scripts)
            publishers = (RecordingPublisher(), RecordingPublisher())
            watches = (
                _watch(redis, scripts, publishers[0]),
                _watch(other, register_scripts(other), publishers[1]),
            )
            rounds = await asyncio.gather(*(w.check_once() for w in watches))
            assert sorted(e.callsign for done in rounds for e in done) == ["CS01", "CS02"]
            sent = [topic for p in publishers for topic, _ in p.sent]
            assert sorted(sent) == sorted(set(sent)), sent  # no message twice
            assert sent.count(Topics("t").status_reply("CS01")) == 1
            assert sent.count(Topics("t").status_reply("CS02")) == 1
    finally:
        await other.aclose()
