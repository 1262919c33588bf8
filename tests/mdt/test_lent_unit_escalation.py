"""The outside tester's report, end to end over real servers: a unit borrowed from another BCU
leaves its tasking unacknowledged. It must be escalated as a saga (unresponsive in its own
area, dropped by the incident in the borrowing area, which is dispatched again), leave no record
in the lending area's keys, and leave the ack watch alive for the next unanswered tasking."""

from __future__ import annotations

import json
import time

from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit
from service.runtime import Runtime
from tests.dispatch.mutual_aid_fixtures import add_fleet
from tests.helpers import asgi_client, auth_headers, eventually, mqtt_client, running_app
from tests.mdt.conftest import Grant
from tests.mdt.support import call, receive_json, receive_tasking, report
from tests.mdt.test_acknowledgement import gateway_login

CW, CS = AreaKeys("CW"), AreaKeys("CS")
VICTORIA = (-0.1441, 51.4965)  # Westminster too: BCU Central West


def call_at(call_id: str, where: tuple[float, float]) -> bytes:
    """An Immediate 999 call (one response unit) at `where`."""
    event = json.loads(call(call_id))
    event["location"] = {"lon": where[0], "lat": where[1], "radius_m": 30}
    return json.dumps(event).encode()


async def _add_unit(
    redis: Redis, scripts: DispatchScripts, callsign: str, at: tuple[float, float]
) -> None:
    unit = Unit(callsign=callsign, area="CW", base_lon=at[0], base_lat=at[1])
    await register_unit(redis, scripts, unit, now_ms=int(time.time() * 1000), actor="test")


async def test_a_borrowed_unit_that_never_acknowledges_is_escalated_across_areas(
    fast_acks: Settings, redis: Redis, scripts: DispatchScripts, grant: Grant
) -> None:
    # Area CW's own unit is busy: an Immediate call at Trafalgar borrows CS01 (Waterloo) from
    # CS; CN01 (King's Cross) and CS02 (Brixton) are the next nearest of other areas.
    await add_fleet(redis, scripts)
    await _add_unit(redis, scripts, "CW90", (-0.1290, 51.5085))
    busy = await apply_status(
        redis, scripts, area="CW", callsign="CW90", status=UnitStatus.BUSY, now_ms=1, actor="t"
    )
    assert busy.applied
    logins = await grant("CS01", "CN01", "CW91")
    topics = Topics(fast_acks.topic_root)
    async with (
        running_app(fast_acks) as app,
        asgi_client(app, auth_headers(fast_acks)) as http,
        mqtt_client(fast_acks, "mdt-cs01", login=logins["CS01"]) as silent,
        mqtt_client(fast_acks, "mdt-cn01", login=logins["CN01"]) as next_unit,
        mqtt_client(fast_acks, "mdt-cw91", login=logins["CW91"]) as local,
        mqtt_client(fast_acks, "desk") as desk,
        mqtt_client(fast_acks, "gateway", login=gateway_login(fast_acks)) as gateway,
    ):
        runtime: Runtime = app.state.runtime
        await silent.subscribe(topics.tasking("CS01"), qos=1)
        await next_unit.subscribe(topics.tasking("CN01"), qos=1)
        await local.subscribe(topics.tasking("CW91"), qos=1)
        await gateway.publish(topics.calls_in, call("lent-1"), qos=1)
        lent = await receive_tasking(silent)
        ref = lent.incident_ref
        await desk.subscribe(topics.incident(ref), qos=1)
        assert await redis.hget(CW.incident(ref), "borrowed") == "CS01"

        # CS01 never answers: after the timeout the watch escalates it and borrows again.
        replacement = await receive_tasking(next_unit)
        update = await receive_json(desk)
        await next_unit.publish(
            topics.status("CN01"), report(UnitStatus.EN_ROUTE, replacement.tasking_id), qos=1
        )
        await eventually(lambda: _status_is(redis, "CN", "CN01", "en_route"))
        lending_keys = await redis.keys("cad:{CS}:incident:*")
        pending = await http.get("/v1/incidents", params={"status": "pending"})

        # The watch is still alive: a second, local tasking left unanswered is escalated too
        # (a call 2 km away, at Victoria, so that it is not taken for the first one again).
        await _add_unit(redis, scripts, "CW91", (VICTORIA[0] + 0.002, VICTORIA[1]))
        await gateway.publish(topics.calls_in, call_at("local-2", VICTORIA), qos=1)
        second = await receive_tasking(local)
        await eventually(lambda: _status_is(redis, "CW", "CW91", "unresponsive"))
        ready = await http.get("/readyz")
        assert runtime.tasks.health_of("ack-watch", time.monotonic()).restarts == 0

    # The lending side: the unit is unresponsive, committed to nothing, and no incident hash of
    # the borrowing area's incident was ever made there.
    assert lending_keys == []
    assert await redis.keys("cad:{CS}:incident:*") == []
    assert await redis.hget(CS.unit_status, "CS01") == "unresponsive"
    assert await redis.hget(CS.unit_incident, "CS01") is None
    assert await redis.hget(CS.unit_tasking, "CS01") is None
    assert await redis.zscore(CS.available, "CS01") is None
    cs_audit = [f for _, f in await redis.xrange(CS.audit)]
    (escalated,) = [
        f for f in cs_audit if f.get("status") == "unresponsive" and f["callsign"] == "CS01"
    ]
    assert (escalated["ref"], escalated["to_area"]) == (ref, "CW")
    assert escalated["tasking_id"] == lent.tasking_id
    # The borrowing side: the incident dropped CS01 and was dispatched again, borrowing CN01.
    assert replacement.incident_ref == ref
    incident = await redis.hgetall(CW.incident(ref))
    assert (incident["units"], incident["borrowed"]) == ("CN01", "CN01")
    assert incident["taskings"] == replacement.tasking_id
    assert "lent_from:CS01" not in incident
    assert incident["lent_from:CN01"] == "CN"
    assert incident["status"] == "en_route"
    dropped = [
        f for _, f in await redis.xrange(CW.audit)
        if f["type"] == "tasking_unacknowledged" and f["ref"] == ref
    ]  # fmt: skip
    assert [(f["callsign"], f["from_area"], f["units_left"]) for f in dropped] == [
        ("CS01", "CS", "")
    ]
    # Dispatchers were told, as for a local unit.
    assert update["event"] == "tasking_unacknowledged"
    assert (update["callsign"], update["replaced_by"]) == ("CS01", ["CN01"])
    # The queue reads cleanly, and the watch took the local tasking after the lent one.
    assert pending.status_code == 200, pending.text
    assert await redis.hget(CW.unit_incident, "CW91") is None
    local_escalations = [
        f for _, f in await redis.xrange(CW.audit)
        if f["type"] == "tasking_unacknowledged" and f["callsign"] == "CW91"
    ]  # fmt: skip
    assert [f["tasking_id"] for f in local_escalations] == [second.tasking_id]
    assert ready.status_code == 200, ready.text


async def _status_is(redis: Redis, area: str, callsign: str, status: str) -> bool:
    return bool(await redis.hget(AreaKeys(area).unit_status, callsign) == status)
