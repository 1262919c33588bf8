"""Control acting on units over HTTP (set status, stand down, divert) against the real app, Redis
and broker: the scripts' effects, the MDT's notices and taskings, and the refusals."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
from redis.asyncio import Redis

from cad.events import Tasking, UnitStatus
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from cad.topics import Topics
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from tests.helpers import mqtt_client, next_message

SCENE = {"lon": -0.1281, "lat": 51.5080}  # Trafalgar Square: Central West
CW = AreaKeys("CW")


def unit(callsign: str, east_m: float, area: str = "CW") -> dict[str, Any]:
    return {
        "callsign": callsign, "unit_type": "irv", "capabilities": ["response"], "area": area,
        "base_lon": SCENE["lon"] + east_m / 69_000, "base_lat": SCENE["lat"],
    }  # fmt: skip


async def record(
    client: httpx.AsyncClient, call_id: str, grade: str = "E", where: dict[str, float] = SCENE
) -> str:
    body = {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "101",
        "location": where, "incident_type": "theft_report", "grade": grade,
    }  # fmt: skip
    response = await client.post("/v1/calls", json=body)
    assert response.status_code == 201, response.text
    ref: str = response.json()["incident"]["incident"]["ref"]
    return ref


async def send(client: httpx.AsyncClient, ref: str, *callsigns: str) -> None:
    body = {"callsigns": list(callsigns), "reason": "test"}
    response = await client.post(f"/v1/incidents/{ref}/dispatch", json=body)
    assert response.status_code == 200, response.text


async def setup(client: httpx.AsyncClient, *callsigns: str) -> None:
    for n, callsign in enumerate(callsigns):
        created = await client.post("/v1/units", json=unit(callsign, 100 + 50 * n))
        assert created.status_code == 201, created.text


async def last_audit(redis: Redis, kind: str) -> dict[str, str]:
    entries = await redis.xrevrange(CW.audit, count=50)
    return next(fields for _, fields in entries if fields["type"] == kind)


async def test_a_dispatcher_sets_a_status_on_the_crews_behalf_and_the_mdt_is_told(
    client: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    await setup(client, "CW90")
    ref = await record(client, "uc-1")
    await send(client, ref, "CW90")
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "mdt-cw90") as mdt:
        await mdt.subscribe(topics.notice("CW90"), qos=1)
        done = await client.post("/v1/units/CW90/status", json={"status": "en_route"})
        assert done.status_code == 200, done.text
        notice = json.loads(bytes(next_payload(await next_message(mdt))))
    assert done.json() == {
        "callsign": "CW90", "status": "en_route", "previous": "assigned", "incident_ref": ref,
        "unchanged": False,
    }  # fmt: skip
    assert notice["event"] == "status_set"
    assert notice["status"] == "en_route"
    assert notice["by"] == "user:PC1234(dispatcher)"
    audited = await last_audit(redis, "unit_status")
    assert audited["actor"] == "user:PC1234(dispatcher)"
    assert audited["on_behalf_of"] == "CW90"
    assert await redis.hget(CW.incident(ref), "status") == "en_route"
    # The MDT's rules: off duty only from available or busy; assigned never by hand.
    refused = await client.post("/v1/units/CW90/status", json={"status": "off_duty"})
    assert refused.status_code == 409
    assert "illegal transition en_route -> off_duty" in refused.json()["detail"]
    by_hand = await client.post("/v1/units/CW90/status", json={"status": "assigned"})
    assert by_hand.status_code == 409
    assert "set by the service" in by_hand.json()["detail"]
    assert (await client.post("/v1/units/NOPE/status", json={"status": "busy"})).status_code == 404
    bad = await client.post("/v1/units/CW90/status", json={"status": "flying"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "status"]
    assert await redis.hget(CW.unit_status, "CW90") == "en_route"


def next_payload(message: Any) -> bytes:
    assert isinstance(message.payload, bytes)
    return message.payload


async def test_standing_down_the_last_unit_puts_the_incident_back_in_the_queue(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await setup(client, "CW91", "CW92")
    ref = await record(client, "uc-2")
    await send(client, ref, "CW91", "CW92")
    first = await client.post("/v1/units/CW91/stand-down", json={"reason": "one is enough"})
    assert first.status_code == 200, first.text
    assert first.json()["units_left"] == 1
    assert await redis.hget(CW.incident(ref), "status") == "dispatched"
    last = await client.post("/v1/units/CW92/stand-down", json={"reason": "needed elsewhere"})
    assert last.status_code == 200, last.text
    assert last.json()["units_left"] == 0
    incident = await redis.hgetall(CW.incident(ref))
    assert incident["status"] == "pending"  # back in the queue, not closed
    assert incident["units"] == ""
    assert incident["taskings"] == ""
    assert await redis.zscore(CW.pending, ref) is not None
    for callsign in ("CW91", "CW92"):
        assert await redis.hget(CW.unit_status, callsign) == "available"
        assert await redis.hget(CW.unit_incident, callsign) is None
        assert await redis.zscore(CW.available, callsign) is not None
    stood = await last_audit(redis, "unit_stood_down")
    assert stood["reason"] == "needed elsewhere"
    assert stood["callsign"] == "CW92"
    queue = (await client.get("/v1/incidents", params={"status": "pending"})).json()
    assert ref in [i["incident"]["ref"] for i in queue["incidents"]]
    idle = await client.post("/v1/units/CW91/stand-down", json={"reason": "again"})
    assert idle.status_code == 409
    assert "not committed to an incident" in idle.json()["detail"]
    blank = await client.post("/v1/units/CW91/stand-down", json={"reason": "  "})
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"] == ["body", "reason"]


async def test_a_divert_withdraws_the_old_tasking_and_sends_the_new_one(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts, settings: Settings
) -> None:
    await setup(client, "CW93", "CW94")
    old = await record(client, "uc-3")
    new = await record(client, "uc-4")
    await send(client, old, "CW93")
    old_tasking = await redis.hget(CW.unit_tasking, "CW93")
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "mdt-cw93") as mdt:
        await mdt.subscribe(topics.notice("CW93"), qos=1)
        await mdt.subscribe(topics.tasking("CW93"), qos=1)
        body = {"incident_ref": new, "reason": "nearest to a worse one"}
        diverted = await client.post("/v1/units/CW93/divert", json=body)
        assert diverted.status_code == 200, diverted.text
        received = {}
        for _ in range(2):
            message = await next_message(mdt)
            received[message.topic.value] = next_payload(message)
    answer = diverted.json()
    assert answer["from_ref"] == old
    assert answer["to_ref"] == new
    assert answer["units_left"] == 0
    notice = json.loads(received[topics.notice("CW93")])
    assert notice["event"] == "stood_down"
    assert notice["tasking_id"] == old_tasking
    assert notice["incident_ref"] == old
    tasking = Tasking.model_validate_json(received[topics.tasking("CW93")])
    assert tasking.incident_ref == new
    assert tasking.tasking_id == answer["tasking_id"]
    # Claims consistent: the unit is on the new incident only; the old one is queued again.
    assert await redis.hget(CW.unit_status, "CW93") == "assigned"
    assert await redis.hget(CW.unit_incident, "CW93") == new
    assert await redis.hget(CW.unit_tasking, "CW93") == tasking.tasking_id
    old_fields, new_fields = (
        await redis.hgetall(CW.incident(old)),
        await redis.hgetall(CW.incident(new)),
    )
    assert old_fields["status"] == "pending"
    assert "CW93" not in old_fields["units"]
    assert new_fields["status"] == "dispatched"
    assert new_fields["units"] == "CW93"
    assert new_fields["taskings"] == tasking.tasking_id
    assert await redis.zscore(CW.pending, new) is None
    assert await redis.zscore(CW.pending, old) is not None
    # The acknowledgement machinery: the old tasking's answer is refused, the new one's taken.
    late = await apply_status(
        redis, scripts, area="CW", callsign="CW93", status=UnitStatus.EN_ROUTE, now_ms=1,
        actor="mdt:CW93", tasking_id=old_tasking,
    )  # fmt: skip
    assert not late.applied
    assert "not the unit's current tasking" in late.reason
    ack = await apply_status(
        redis, scripts, area="CW", callsign="CW93", status=UnitStatus.EN_ROUTE, now_ms=2,
        actor="mdt:CW93", tasking_id=tasking.tasking_id,
    )  # fmt: skip
    assert ack.applied
    assert ack.incident_ref == new


async def test_divert_refusals(client: httpx.AsyncClient, redis: Redis) -> None:
    await setup(client, "CW95", "CW96")
    ref = await record(client, "uc-5")
    other = await record(client, "uc-6")
    await send(client, ref, "CW95")
    to = {"reason": "r"}
    assert (await client.post("/v1/units/CW95/divert", json={**to, "incident_ref": "CAD 9/X"})
            ).status_code == 404  # fmt: skip
    same = await client.post("/v1/units/CW95/divert", json={**to, "incident_ref": ref})
    assert same.status_code == 409
    assert "already committed" in same.json()["detail"]
    idle = await client.post("/v1/units/CW96/divert", json={**to, "incident_ref": other})
    assert idle.status_code == 409
    assert "not committed" in idle.json()["detail"]
    closed = await client.post(f"/v1/incidents/{other}/cancel", json={"note": "hoax"})
    assert closed.status_code == 200, closed.text
    final = await client.post("/v1/units/CW95/divert", json={**to, "incident_ref": other})
    assert final.status_code == 409
    assert "cancelled, not open" in final.json()["detail"]
    assert await redis.hget(CW.unit_incident, "CW95") == ref  # nothing changed


async def test_racing_diverts_leave_the_unit_on_one_incident(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await setup(client, "CW97")
    start, a, b = [await record(client, f"uc-r{n}") for n in range(3)]
    await send(client, start, "CW97")
    answers = await asyncio.gather(
        client.post("/v1/units/CW97/divert", json={"incident_ref": a, "reason": "r"}),
        client.post("/v1/units/CW97/divert", json={"incident_ref": b, "reason": "r"}),
    )
    assert all(r.status_code == 200 for r in answers), [r.text for r in answers]
    held = await redis.hget(CW.unit_incident, "CW97")
    listing = [
        ref for ref in (start, a, b) if "CW97" in (await redis.hget(CW.incident(ref), "units"))
    ]
    assert listing == [held]


async def test_a_lent_unit_or_another_areas_incident_is_refused_with_the_reason(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    created = await client.post("/v1/units", json=unit("NO1", 100, area="NO"))
    assert created.status_code == 201
    ref = await record(client, "uc-7", grade="I")  # no unit of Central West: borrowed
    assert await redis.hget(AreaKeys("NO").unit_incident, "NO1") == ref
    lent = await client.post("/v1/units/NO1/stand-down", json={"reason": "r"})
    assert lent.status_code == 409
    assert "lent to" in lent.json()["detail"]
    assert "mutual aid" in lent.json()["detail"]
    await setup(client, "CW98")
    here = await record(client, "uc-8")
    await send(client, here, "CW98")
    tottenham = await record(client, "uc-9", where={"lon": -0.0700, "lat": 51.5900})
    assert await redis.hget(GlobalKeys().incident_area, tottenham) == "NO"
    body = {"incident_ref": tottenham, "reason": "r"}
    across = await client.post("/v1/units/CW98/divert", json=body)
    assert across.status_code == 409
    assert "only on loan" in across.json()["detail"]


async def test_a_unit_stood_down_is_not_sent_back_to_that_incident_but_by_name(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await setup(client, "CW95", "CW96")  # CW95 the nearer
    ref = await record(client, "uc-sd", grade="S")  # dispatched at once: the nearest, CW95
    assert await redis.hget(CW.unit_incident, "CW95") == ref
    stood = await client.post("/v1/units/CW95/stand-down", json={"reason": "crew refreshment"})
    assert stood.status_code == 200, stood.text
    assert await redis.hget(CW.incident(ref), "stood_down") == "CW95"
    advice = (await client.get(f"/v1/incidents/{ref}/recommendation")).json()
    assert [c["callsign"] for c in advice["chosen"]] == ["CW96"]
    passed = {p["callsign"]: p["reason"] for p in advice["passed"]}
    assert passed["CW95"] == "stood down from this incident by a dispatcher"
    # Dispatched again (the dispatcher, or the queue sweep): the other unit goes, not CW95.
    again = await client.post(f"/v1/incidents/{ref}/dispatch", json={})
    assert again.status_code == 200, again.text
    assert await redis.hget(CW.unit_incident, "CW96") == ref
    assert await redis.hget(CW.unit_status, "CW95") == "available"
    # Named by a dispatcher, it goes: the choice is theirs, and audited.
    back = await client.post("/v1/units/CW96/stand-down", json={"reason": "wrong crew"})
    assert back.status_code == 200, back.text
    await send(client, ref, "CW95")
    assert await redis.hget(CW.unit_incident, "CW95") == ref
