"""Calls in another force's area over HTTP and MQTT, against the real app, Redis and broker:
held for transfer (not dispatched with Met units), or attended under CAD_ATTEND_OUTSIDE_GRADES
and flagged; the transfer queue, the hand-over, the ambiguous-location flag."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from redis.asyncio import Redis

from cad.keys import AreaKeys
from cad.settings import Settings
from cad.tokens import Role
from cad.topics import Topics
from callhandling.lua import create_incident
from tests.helpers import asgi_client, auth_headers, eventually, mqtt_client, running_app

WATFORD = {"lon": -0.3963, "lat": 51.6565}
DARTFORD = {"lon": 0.2181, "lat": 51.4462}
SLOUGH = {"lon": -0.5950, "lat": 51.5105}
CITY = {"lon": -0.0886, "lat": 51.5133}


def call(call_id: str, where: dict[str, float], grade: str, **extra: Any) -> dict[str, Any]:
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": where, "incident_type": "violence", "grade": grade, **extra,
    }  # fmt: skip


async def unit_near(
    client: httpx.AsyncClient, callsign: str, area: str, where: dict[str, float]
) -> None:
    body = {
        "callsign": callsign, "unit_type": "irv", "capabilities": ["response"], "area": area,
        "base_lon": where["lon"] + 0.01, "base_lat": where["lat"],
    }  # fmt: skip
    created = await client.post("/v1/units", json=body)
    assert created.status_code == 201, created.text


async def incident_of(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/calls", json=body)
    assert response.status_code == 201, response.text
    incident: dict[str, Any] = response.json()["incident"]["incident"]
    return incident


async def test_a_call_beyond_london_is_held_for_its_force_and_not_dispatched(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await unit_near(client, "NW50", "NW", WATFORD)  # a Met unit close by: still not sent
    held = await incident_of(client, call("j-1", WATFORD, "S"))
    assert held["status"] == "transfer"
    assert held["transfer_force"] == "Hertfordshire Constabulary"
    assert "Harrow" in held["transfer_basis"]
    assert held["met_attends"] is False
    assert held["units"] == []
    assert await redis.hget(AreaKeys("NW").unit_status, "NW50") == "available"
    queue = (await client.get("/v1/incidents", params={"status": "transfer"})).json()
    assert [i["incident"]["ref"] for i in queue["incidents"]] == [held["ref"]]
    pending = (await client.get("/v1/incidents", params={"status": "pending"})).json()
    assert pending["incidents"] == []
    refused = await client.post(f"/v1/incidents/{held['ref']}/dispatch", json={})
    assert refused.status_code == 409
    assert "Hertfordshire Constabulary" in refused.json()["detail"]
    named = await client.post(
        f"/v1/incidents/{held['ref']}/dispatch", json={"callsigns": ["NW50"], "reason": "near"}
    )
    assert named.status_code == 409
    assert await redis.hget(AreaKeys("NW").unit_status, "NW50") == "available"
    audit = [f for _, f in await redis.xrange(AreaKeys("NW").audit)]
    assert any(f["type"] == "incident_held_for_transfer" for f in audit)


async def test_the_city_is_the_city_of_london_polices(client: httpx.AsyncClient) -> None:
    held = await incident_of(client, call("j-2", CITY, "S"))
    assert held["status"] == "transfer"
    assert held["transfer_force"] == "City of London Police"


async def test_an_immediate_call_is_attended_by_the_met_and_flagged(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await unit_near(client, "SE50", "SE", DARTFORD)
    attended = await incident_of(client, call("j-3", DARTFORD, "I"))
    assert attended["status"] == "dispatched"
    assert attended["units"] == ["SE50"]
    assert attended["transfer_force"] == "Kent Police"
    assert attended["met_attends"] is True
    # Not held, so not in the transfer queue; the hand-over waits until its unit has cleared.
    queue = (await client.get("/v1/incidents", params={"status": "transfer"})).json()
    assert queue["incidents"] == []
    body = {"force": "Kent Police", "note": "handed over"}
    early = await client.post(f"/v1/incidents/{attended['ref']}/transfer", json=body)
    assert early.status_code == 409
    assert "units still committed" in early.json()["detail"]
    # The crew says on the radio they are done: the incident awaits its result, then goes to Kent.
    for status in ("on_scene", "available"):
        said = await client.post("/v1/units/SE50/status", json={"status": status})
        assert said.status_code == 200, said.text
    awaiting = (await client.get("/v1/incidents", params={"status": "awaiting_result"})).json()
    assert [i["incident"]["ref"] for i in awaiting["incidents"]] == [attended["ref"]]
    done = await client.post(f"/v1/incidents/{attended['ref']}/transfer", json=body)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "transferred"
    awaiting = (await client.get("/v1/incidents", params={"status": "awaiting_result"})).json()
    assert awaiting["incidents"] == []


async def test_the_hand_over_is_recorded_and_final(client: httpx.AsyncClient, redis: Redis) -> None:
    held = await incident_of(client, call("j-4", WATFORD, "S"))
    ref = held["ref"]
    body = {"force": "Hertfordshire Constabulary", "reference": "HC-41", "note": "by phone"}
    done = await client.post(f"/v1/incidents/{ref}/transfer", json=body)
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["status"] == "transferred"
    assert record["transfer_reference"] == "HC-41"
    assert record["transferred_ms"] is not None
    queue = (await client.get("/v1/incidents", params={"status": "transfer"})).json()
    assert queue["incidents"] == []
    again = await client.post(f"/v1/incidents/{ref}/transfer", json=body)
    assert again.status_code == 409
    assert "illegal transition transferred -> transferred" in again.json()["detail"]
    audit = [f for _, f in await redis.xrange(AreaKeys(held["area"]).audit)]
    moved = next(f for f in audit if f["type"] == "incident_transferred")
    assert moved["force"] == "Hertfordshire Constabulary"
    assert moved["actor"].startswith("user:PC1234(")
    missing = await client.post("/v1/incidents/CAD 9999/01JAN26/transfer", json=body)
    assert missing.status_code == 404
    blank = await client.post(f"/v1/incidents/{ref}/transfer", json={"force": " ", "note": "x"})
    assert blank.status_code == 422
    assert blank.json()["detail"][0]["loc"] == ["body", "force"]


async def test_the_ambiguous_circle_is_kept_on_the_incident(client: httpx.AsyncClient) -> None:
    where = {"lon": -0.1300, "lat": 51.5165, "radius_m": 400}  # Camden and Westminster
    incident = await incident_of(client, call("j-5", where, "E"))
    assert incident["ambiguous_location"] is True
    read = (await client.get(f"/v1/incidents/{incident['ref']}")).json()
    assert read["incident"]["ambiguous_location"] is True
    plain = await incident_of(client, call("j-6", {"lon": -0.1281, "lat": 51.5080}, "E"))
    assert plain["ambiguous_location"] is False
    assert plain["transfer_force"] is None


async def test_an_mqtt_call_beyond_london_is_held_too(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "gateway") as gateway:
        payload = json.dumps(call("j-7", SLOUGH, "S")).encode()
        await gateway.publish(topics.calls_in, payload, qos=1)

        async def held() -> bool:
            queue = (await client.get("/v1/incidents", params={"status": "transfer"})).json()
            return any(i["incident"]["call_id"] == "j-7" for i in queue["incidents"])

        await eventually(held)
    queue = (await client.get("/v1/incidents", params={"status": "transfer"})).json()
    (incident,) = [i["incident"] for i in queue["incidents"]]
    assert incident["transfer_force"] == "Thames Valley Police"


async def test_with_no_grade_attended_outside_an_immediate_call_is_held(
    settings: Settings, redis: Redis
) -> None:
    held_everywhere = settings.model_copy(update={"attend_outside_grades": ""})
    async with (
        running_app(held_everywhere) as app,
        asgi_client(
            app, auth_headers(held_everywhere, Role.CALL_HANDLER, Role.DISPATCHER, Role.ADMIN)
        ) as client,
    ):
        await unit_near(client, "SE51", "SE", DARTFORD)
        incident = await incident_of(client, call("j-8", DARTFORD, "I"))
    assert incident["status"] == "transfer"
    assert incident["met_attends"] is False
    assert await redis.hget(AreaKeys("SE").unit_status, "SE51") == "available"


async def test_a_circle_of_no_size_is_a_point(client: httpx.AsyncClient) -> None:
    where = {"lon": -0.1300, "lat": 51.5165, "radius_m": 0.0}
    incident = await incident_of(client, call("j-9", where, "E"))
    assert incident["ambiguous_location"] is False


async def test_an_mqtt_call_keeps_its_ambiguous_circle(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    where = {"lon": -0.1300, "lat": 51.5165, "radius_m": 400}  # Camden and Westminster
    topics = Topics(settings.topic_root)
    found: list[dict[str, Any]] = []

    async def recorded() -> bool:
        listed = (await client.get("/v1/incidents", params={"status": "open"})).json()
        found[:] = [
            i["incident"] for i in listed["incidents"] if i["incident"]["call_id"] == "j-10"
        ]
        return bool(found)

    async with mqtt_client(settings, "gateway") as gateway:
        await gateway.publish(topics.calls_in, json.dumps(call("j-10", where, "E")).encode(), qos=1)
        await eventually(recorded)
    assert found[0]["ambiguous_location"] is True
    assert found[0]["status"] == "pending"


async def test_a_call_is_held_even_when_redis_had_forgotten_the_script(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    # As after a Redis restart, but with the creation's script loaded again meanwhile (another
    # call's): the creation runs in its round trip, the hold meets NOSCRIPT and runs alone.
    await redis.script_flush()
    await redis.script_load(create_incident.SCRIPT.source)
    held = await incident_of(client, call("j-11", WATFORD, "S"))
    assert held["status"] == "transfer"
    queue = (await client.get("/v1/incidents", params={"status": "transfer"})).json()
    assert [i["incident"]["ref"] for i in queue["incidents"]] == [held["ref"]]


async def test_a_held_incident_cancelled_leaves_the_transfer_queue(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    held = await incident_of(client, call("j-c", DARTFORD, "S"))
    area = held["area"]
    assert await redis.zscore(AreaKeys(area).transfer, held["ref"]) is not None
    cancelled = await client.post(
        f"/v1/incidents/{held['ref']}/cancel", json={"note": "caller rang Kent Police"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert await redis.zscore(AreaKeys(area).transfer, held["ref"]) is None


async def test_a_held_call_graded_immediate_later_is_attended_and_keeps_its_force(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await unit_near(client, "NW51", "NW", WATFORD)
    held = await incident_of(client, call("j-g", WATFORD, "S"))
    assert held["status"] == "transfer"
    graded = await client.post(
        f"/v1/incidents/{held['ref']}/grade",
        json={"thrive": {"risk": "high"}, "grade": "I", "reason": "now a weapon is seen"},
    )
    assert graded.status_code == 200, graded.text
    attended = graded.json()["incident"]
    assert (attended["status"], attended["units"]) == ("dispatched", ["NW51"])
    assert (attended["met_attends"], attended["transfer_force"]) == (
        True, "Hertfordshire Constabulary",
    )  # fmt: skip
    assert await redis.zscore(AreaKeys(held["area"]).transfer, held["ref"]) is None
    audit = [f for _, f in await redis.xrange(AreaKeys(held["area"]).audit)]
    assert any(f["type"] == "incident_attended_outside" for f in audit)
