"""An incident's log through the real app against real Redis and broker: remarks, location and
type corrections (each audited with the reason and the actor), the caller's number (call
handlers and supervisors only, every read audited, never logged), THRIVE and the grade history
with the incident, and unknown incident types refused."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.keys import AreaKeys
from cad.settings import Settings
from cad.tokens import Role
from cad.topics import Topics
from tests.callhandling.test_api_incidents import call_body, record
from tests.helpers import asgi_client, auth_headers, mqtt_client, next_message
from transport.mqtt_client import Message

CW = AreaKeys("CW")
NOWHERE = "CAD 9999/01JAN26"
PALACE = {"lon": -0.1410, "lat": 51.5010, "radius_m": 25}  # Westminster too: area CW


async def _incident(client: httpx.AsyncClient, call_id: str, **kwargs: Any) -> str:
    made = await record(client, call_body(call_id, **kwargs))
    ref: str = made["incident"]["incident"]["ref"]
    return ref


async def _chronology(client: httpx.AsyncClient, ref: str, kind: str) -> list[dict[str, str]]:
    detail = (await client.get(f"/v1/incidents/{ref}")).json()
    return [e for e in detail["chronology"] if e["type"] == kind]


async def test_a_remark_joins_the_chronology_with_its_author(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, redis: Redis
) -> None:
    ref = await _incident(client, "log1", kind="asb")
    async with asgi_client(app, auth_headers(settings, Role.DISPATCHER, subject="D7")) as http:
        added = await http.post(f"/v1/incidents/{ref}/log", json={"text": "caller rang back"})
    assert added.status_code == 201, added.text
    entry = added.json()
    assert (entry["ref"], entry["type"], entry["text"], entry["actor"]) == (
        ref, "remark", "caller rang back", "user:D7(dispatcher)",
    )  # fmt: skip
    (kept,) = await _chronology(client, ref, "remark")
    assert (kept["id"], kept["text"], kept["actor"]) == (entry["id"], entry["text"], entry["actor"])
    # An audit entry of the area: what the live map's feed and the archiver read.
    (streamed,) = [f for i, f in await redis.xrange(CW.audit) if f["type"] == "remark"]
    assert streamed["ref"] == ref


@pytest.mark.parametrize(
    ("body", "why"),
    [({"text": ""}, "at least 1"), ({"text": "   "}, "pattern"), ({"text": "x" * 2001}, "at most")],
    ids=["empty", "blank", "too-long"],
)
async def test_a_remark_out_of_bounds_is_a_422_naming_text(
    client: httpx.AsyncClient, body: dict[str, str], why: str
) -> None:
    ref = await _incident(client, "log2", kind="asb")
    refused = await client.post(f"/v1/incidents/{ref}/log", json=body)
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "text"]
    assert why in error["msg"]
    assert await _chronology(client, ref, "remark") == []


async def test_the_log_routes_refuse_roles_and_unknown_refs(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient
) -> None:
    ref = await _incident(client, "log3", kind="asb")
    location = {"location": PALACE, "reason": "r"}
    async with asgi_client(app, auth_headers(settings, Role.ADMIN)) as admin:
        for path, body in (("log", {"text": "t"}), ("location", location),
                           ("type", {"incident_type": "weapons", "reason": "r"})):  # fmt: skip
            assert (await admin.post(f"/v1/incidents/{ref}/{path}", json=body)).status_code == 403
            missing = await client.post(f"/v1/incidents/{NOWHERE}/{path}", json=body)
            assert missing.status_code == 404
            assert missing.json()["detail"] == f"ref: no incident {NOWHERE!r}"
        assert (await admin.get(f"/v1/incidents/{ref}/caller")).status_code == 403
    assert (await client.get(f"/v1/incidents/{NOWHERE}/caller")).status_code == 404


async def test_a_location_correction_moves_the_incident_in_its_area_and_is_audited(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    ref = await _incident(client, "loc1", kind="asb")
    no_reason = await client.post(f"/v1/incidents/{ref}/location", json={"location": PALACE})
    assert [e["loc"] for e in no_reason.json()["detail"]] == [["body", "reason"]]
    bad = await client.post(
        f"/v1/incidents/{ref}/location",
        json={"location": {**PALACE, "lat": True}, "reason": "r"},
    )
    assert [e["loc"] for e in bad.json()["detail"]] == [["body", "location", "lat"]]
    moved = await client.post(
        f"/v1/incidents/{ref}/location", json={"location": PALACE, "reason": "wrong side"}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["lon"], moved.json()["lat"], moved.json()["radius_m"]) == (
        PALACE["lon"], PALACE["lat"], PALACE["radius_m"],
    )  # fmt: skip
    ((lon, lat),) = await redis.geopos(CW.open_incidents, ref)
    assert (round(lon, 4), round(lat, 4)) == (PALACE["lon"], PALACE["lat"])
    (entry,) = await _chronology(client, ref, "location_corrected")
    assert (entry["old_lon"], entry["old_lat"], entry["lon"], entry["lat"]) == (
        repr(-0.1281), repr(51.508), repr(PALACE["lon"]), repr(PALACE["lat"]),
    )  # fmt: skip
    assert (entry["reason"], entry["actor"]) == ("wrong side", "user:PC0001(call_handler)")
    cancelled = await client.post(f"/v1/incidents/{ref}/cancel", json={"note": "hoax"})
    assert cancelled.status_code == 200
    late = await client.post(
        f"/v1/incidents/{ref}/location", json={"location": PALACE, "reason": "r"}
    )
    assert late.status_code == 409
    assert late.json()["detail"] == (
        "status: a cancelled incident cannot be corrected (current status: cancelled)"
    )


async def test_a_type_correction_suggests_a_grade_and_never_changes_the_one_set(
    client: httpx.AsyncClient,
) -> None:
    ref = await _incident(client, "type1", kind="asb", grade="S")
    unknown = await client.post(
        f"/v1/incidents/{ref}/type", json={"incident_type": "robbery", "reason": "r"}
    )
    assert unknown.status_code == 422
    (error,) = unknown.json()["detail"]
    assert error["loc"] == ["body", "incident_type"]
    assert "unknown type 'robbery'; valid types: " in error["msg"]
    assert "weapons" in error["msg"]
    corrected = await client.post(
        f"/v1/incidents/{ref}/type", json={"incident_type": "weapons", "reason": "a knife"}
    )
    assert corrected.status_code == 200, corrected.text
    answer = corrected.json()
    assert answer["incident"]["incident_type"] == "weapons"
    assert answer["incident"]["grade"] == "S"  # the handler's grade stands
    assert (answer["old_type"], answer["suggested_grade"], answer["regrade_suggested"]) == (
        "asb", "I", True,
    )  # fmt: skip
    (entry,) = await _chronology(client, ref, "type_corrected")
    assert (entry["old_type"], entry["incident_type"], entry["grade"], entry["suggested"]) == (
        "asb", "weapons", "S", "I",
    )  # fmt: skip
    assert entry["reason"] == "a knife"
    again = await client.post(
        f"/v1/incidents/{ref}/type", json={"incident_type": "weapons", "reason": "r"}
    )
    assert again.status_code == 409
    history = (await client.get(f"/v1/incidents/{ref}")).json()["grade_history"]
    assert [(h["kind"], h["grade"], h["suggested"]) for h in history] == [
        ("call", "S", None), ("type_corrected", "S", "I"),
    ]  # fmt: skip


async def test_thrive_and_the_grade_history_come_with_the_incident(
    client: httpx.AsyncClient,
) -> None:
    ref = await _incident(client, "thr1", kind="concern_for_welfare")
    before = (await client.get(f"/v1/incidents/{ref}")).json()
    assert (before["thrive"], before["grade_history"]) == (None, [])
    graded = await client.post(
        f"/v1/incidents/{ref}/grade", json={"thrive": {"risk": "medium"}, "grade": "E",
                                            "reason": "caller safe with a neighbour"},
    )  # fmt: skip
    assert graded.status_code == 200, graded.text
    detail = (await client.get(f"/v1/incidents/{ref}")).json()
    assert detail["thrive"]["risk"] == "medium"
    assert detail["thrive"]["vulnerability"] is False
    ((kind, grade, previous, suggested, reason),) = [
        (h["kind"], h["grade"], h["previous"], h["suggested"], h["reason"])
        for h in detail["grade_history"]
    ]
    assert (kind, grade, previous, suggested) == ("graded", "E", None, "S")
    assert reason == "override: caller safe with a neighbour"


async def test_the_callers_number_is_for_call_handlers_and_every_read_is_audited(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    ref = await _incident(client, "cli1", kind="asb", cli="07700900461")
    second = await record(client, call_body("cli2", kind="asb", east_m=20, cli="07700900462"))
    linked = await client.post(f"/v1/incidents/{ref}/links", json={"call_id": "cli2"})
    assert linked.status_code == 200, second
    async with asgi_client(app, auth_headers(settings, Role.DISPATCHER)) as dispatcher:
        assert (await dispatcher.get(f"/v1/incidents/{ref}/caller")).status_code == 403
    assert await _chronology(client, ref, "caller_read") == []
    async with asgi_client(app, auth_headers(settings, Role.CALL_HANDLER, subject="CH3")) as ch:
        read = await ch.get(f"/v1/incidents/{ref}/caller")
    assert read.status_code == 200, read.text
    assert read.json() == {"ref": ref, "callers": [
        {"call_id": "cli1", "cli": "07700900461", "kept": True},
        {"call_id": "cli2", "cli": "07700900462", "kept": True},
    ]}  # fmt: skip
    reads = await _chronology(client, ref, "caller_read")
    assert [(e["call_id"], e["actor"]) for e in reads] == [
        ("cli1", "user:CH3(call_handler)"), ("cli2", "user:CH3(call_handler)"),
    ]  # fmt: skip
    assert all(e["ts_ms"].isdigit() for e in reads)
    # The caller data expires with its call record: then nothing is read, and nothing audited.
    await redis.delete(CW.call("cli2"))
    again = (await client.get(f"/v1/incidents/{ref}/caller")).json()["callers"]
    assert again[1] == {"call_id": "cli2", "cli": None, "kept": False}
    assert len(await _chronology(client, ref, "caller_read")) == 3
    audit = repr(await redis.xrange(CW.audit))
    assert "07700900461" not in audit
    assert "07700900462" not in audit
    assert "0770090046" not in caplog.text


async def test_an_unknown_incident_type_on_a_call_is_a_422_listing_the_types(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    refused = await client.post("/v1/calls", json=call_body("typ1", kind="robbery"))
    assert refused.status_code == 422
    (error,) = refused.json()["detail"]
    assert error["loc"] == ["body", "incident_type"]
    assert error["msg"].startswith("incident_type: unknown type 'robbery'; valid types: ")
    assert "alarm_activation" in error["msg"]
    assert "violence" in error["msg"]
    assert await redis.keys("*:call:typ1") == []


async def test_the_units_on_their_way_are_told_of_a_corrected_location_and_type(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    unit = {"callsign": "CW77", "unit_type": "irv", "capabilities": ["response"], "area": "CW",
            "base_lon": -0.1290, "base_lat": 51.5085}  # fmt: skip
    assert (await client.post("/v1/units", json=unit)).status_code == 201
    made = await record(client, call_body("told1", kind="asb", grade="S"))
    ref = made["incident"]["incident"]["ref"]
    assert made["incident"]["incident"]["units"] == ["CW77"]
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "mdt-cw77-told") as mdt:
        await mdt.subscribe(topics.notice("CW77"), qos=1)
        moved = await client.post(
            f"/v1/incidents/{ref}/location",
            json={"location": PALACE, "reason": "caller now outside the palace gates"},
        )
        assert moved.status_code == 200, moved.text
        told = json.loads(_payload(await next_message(mdt)))
        retyped = await client.post(
            f"/v1/incidents/{ref}/type", json={"incident_type": "violence", "reason": "a fight"}
        )
        assert retyped.status_code == 200, retyped.text
        told_type = json.loads(_payload(await next_message(mdt)))
    assert (told["event"], told["incident_ref"], told["by"]) == (
        "location_corrected", ref, "user:PC0001(call_handler)",
    )  # fmt: skip
    assert (told["location"]["lon"], told["location"]["lat"]) == (PALACE["lon"], PALACE["lat"])
    assert told["reason"] == "caller now outside the palace gates"
    assert (told_type["event"], told_type["incident_type"]) == ("type_corrected", "violence")


def _payload(message: Message) -> bytes:
    assert isinstance(message.payload, bytes)
    return message.payload
