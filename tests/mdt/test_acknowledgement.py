"""Acknowledgement over real servers: an unanswered tasking goes to the next unit; answers count
only for the unit's current tasking."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from tests.helpers import eventually, mqtt_client, running_runtime
from tests.mdt.conftest import Grant
from tests.mdt.support import add_units, call, receive_json, receive_tasking, report
from transport.broker_security import GATEWAY_USER, development_credentials

KEYS = AreaKeys("CW")


def gateway_login(settings: Settings) -> tuple[str, str]:
    """The call gateway's own login: it may publish calls and nothing else."""
    return GATEWAY_USER, development_credentials(settings.mdt_credential_secret).gateway_password


@pytest.mark.topologies("single", "cluster")
async def test_a_missing_acknowledgement_escalates_and_redispatches(
    fast_acks: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    await add_units(redis, scripts, ("AK10", -0.1300, 51.5100), ("AK11", -0.1400, 51.5150))
    logins = await grant("AK10", "AK11")
    topics = Topics(fast_acks.topic_root)
    async with (
        running_runtime(fast_acks),
        mqtt_client(fast_acks, "mdt-ak10", login=logins["AK10"]) as silent,
        mqtt_client(fast_acks, "mdt-ak11", login=logins["AK11"]) as second,
        mqtt_client(fast_acks, "desk") as desk,
        mqtt_client(fast_acks, "gateway", login=gateway_login(fast_acks)) as gateway,
    ):
        await silent.subscribe(topics.tasking("AK10"), qos=1)
        await silent.subscribe(topics.status_reply("AK10"), qos=1)
        await second.subscribe(topics.tasking("AK11"), qos=1)
        await gateway.publish(topics.calls_in, call("ack-1"), qos=1)
        first = await receive_tasking(silent)
        sent = time.monotonic()
        await desk.subscribe(topics.incident(first.incident_ref), qos=1)
        replacement = await receive_tasking(second)
        waited = time.monotonic() - sent
        withdrawn = await receive_json(silent)
        update = await receive_json(desk)
        # The silent MDT wakes up too late: its tasking is no longer its own.
        await silent.publish(topics.status("AK10"), report(UnitStatus.EN_ROUTE, first.tasking_id))
        refusal = await receive_json(silent)
        await second.publish(
            topics.status("AK11"), report(UnitStatus.EN_ROUTE, replacement.tasking_id), qos=1
        )
        await eventually(lambda: _status_is(redis, "AK11", "en_route"))
    assert replacement.incident_ref == first.incident_ref
    assert 0.9 <= waited < 3.0, waited
    assert withdrawn["withdrawn"] is True
    assert withdrawn["tasking_id"] == first.tasking_id
    assert update["event"] == "tasking_unacknowledged"
    assert (update["callsign"], update["replaced_by"]) == ("AK10", ["AK11"])
    assert refusal["accepted"] is False
    assert refusal["reason"] == "status: en_route with no tasking to work"
    assert await redis.hget(KEYS.unit_status, "AK10") == "unresponsive"
    assert await redis.zscore(KEYS.available, "AK10") is None
    incident = await redis.hgetall(KEYS.incident(first.incident_ref))
    assert (incident["units"], incident["status"]) == ("AK11", "en_route")
    audit = [f for _, f in await redis.xrange(KEYS.audit)]
    escalated = [f for f in audit if f["type"] == "tasking_unacknowledged"]
    assert [(f["callsign"], f["tasking_id"]) for f in escalated] == [("AK10", first.tasking_id)]


async def test_a_silent_unit_of_several_is_replaced_and_the_others_keep_going(
    fast_acks: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    """A violence call takes two response units: only the silent one is replaced."""
    await add_units(
        redis, scripts,
        ("AK40", -0.1290, 51.5085), ("AK41", -0.1300, 51.5100), ("AK42", -0.1500, 51.5200),
    )  # fmt: skip
    logins = await grant("AK40", "AK42")
    topics = Topics(fast_acks.topic_root)
    async with (
        running_runtime(fast_acks),
        mqtt_client(fast_acks, "mdt-ak40", login=logins["AK40"]) as answering,
        mqtt_client(fast_acks, "mdt-ak42", login=logins["AK42"]) as spare,
        mqtt_client(fast_acks, "gateway", login=gateway_login(fast_acks)) as gateway,
    ):
        await answering.subscribe(topics.tasking("AK40"), qos=1)
        await spare.subscribe(topics.tasking("AK42"), qos=1)
        await gateway.publish(topics.calls_in, call("ack-4", "violence"), qos=1)
        first = await receive_tasking(answering)
        await answering.publish(
            topics.status("AK40"), report(UnitStatus.EN_ROUTE, first.tasking_id), qos=1
        )
        replacement = await receive_tasking(spare)
        # The replacement answers too: nothing is left for the watch to escalate, however slow
        # this machine is to shut the service down.
        await spare.publish(
            topics.status("AK42"), report(UnitStatus.EN_ROUTE, replacement.tasking_id), qos=1
        )
        await eventually(lambda: _status_is(redis, "AK42", "en_route"))
    assert replacement.incident_ref == first.incident_ref
    incident = await redis.hgetall(KEYS.incident(first.incident_ref))
    assert incident["units"] == "AK40,AK42"
    assert await redis.hget(KEYS.unit_status, "AK41") == "unresponsive"
    assert await redis.hget(KEYS.unit_status, "AK40") == "en_route"
    assigned = [f for _, f in await redis.xrange(KEYS.audit) if f["type"] == "unit_assigned"]
    assert assigned[-1]["reason"] == "replaces AK41 (no ack)"


async def test_an_acknowledged_tasking_is_never_escalated(
    fast_acks: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    await add_units(redis, scripts, ("AK20", -0.1300, 51.5100), ("AK21", -0.1400, 51.5150))
    logins = await grant("AK20")
    topics = Topics(fast_acks.topic_root)
    async with (
        running_runtime(fast_acks),
        mqtt_client(fast_acks, "mdt-ak20", login=logins["AK20"]) as mdt,
        mqtt_client(fast_acks, "gateway", login=gateway_login(fast_acks)) as gateway,
    ):
        await mdt.subscribe(topics.tasking("AK20"), qos=1)
        await gateway.publish(topics.calls_in, call("ack-2"), qos=1)
        tasking = await receive_tasking(mdt)
        await mdt.publish(topics.status("AK20"), report(UnitStatus.EN_ROUTE, tasking.tasking_id))
        await eventually(lambda: _status_is(redis, "AK20", "en_route"))
        # Well past the timeout: several checks of the watch would have escalated it.
        await asyncio.sleep(1.6)
    assert await redis.hget(KEYS.unit_status, "AK20") == "en_route"
    assert await redis.hget(KEYS.unit_status, "AK21") == "available"
    types = [f["type"] for _, f in await redis.xrange(KEYS.audit)]
    assert "tasking_unacknowledged" not in types


async def test_a_restarted_service_escalates_what_went_unanswered_meanwhile(
    settings: Settings, fast_acks: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await add_units(redis, scripts, ("AK30", -0.1300, 51.5100), ("AK31", -0.1400, 51.5150))
    topics = Topics(settings.topic_root)
    async with running_runtime(settings), mqtt_client(settings, "gw") as gateway:
        await gateway.publish(topics.calls_in, call("ack-3"), qos=1)
        await eventually(lambda: _status_is(redis, "AK30", "assigned"))
    # The service is down longer than the timeout; the next one sees the tasking is overdue.
    await asyncio.sleep(1.0)
    async with running_runtime(fast_acks):
        await eventually(lambda: _status_is(redis, "AK31", "assigned"))
    assert await redis.hget(KEYS.unit_status, "AK30") == "unresponsive"


async def _status_is(redis: Redis, callsign: str, status: str) -> bool:
    return bool(await redis.hget(KEYS.unit_status, callsign) == status)
