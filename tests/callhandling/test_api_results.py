"""Results: an incident whose last unit clears awaits its result (its own queue, never closed by
itself); a dispatcher closes it with a code from the catalogue; a supervisor amends it within the
window. Through the real app against real Redis and broker."""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.tokens import Role
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from tests.callhandling.test_api_incidents import call_body, record
from tests.helpers import asgi_client, auth_headers

CW = AreaKeys("CW")


async def _dispatched(client: httpx.AsyncClient, call_id: str, callsign: str) -> str:
    unit = {"callsign": callsign, "area": "CW", "base_lon": -0.13, "base_lat": 51.51}
    assert (await client.post("/v1/units", json=unit)).status_code == 201
    made = await record(client, call_body(call_id, grade="I", kind="violence"))
    assert made["incident"]["incident"]["units"] == [callsign]
    ref: str = made["incident"]["incident"]["ref"]
    return ref


async def _clear(redis: Redis, scripts: DispatchScripts, callsign: str) -> None:
    for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.AVAILABLE):
        change = await apply_status(
            redis, scripts, area="CW", callsign=callsign, status=status,
            now_ms=int(time.time() * 1000), actor=f"mdt:{callsign}",
        )  # fmt: skip
        assert change.applied, change.reason


async def _detail(client: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    answer = await client.get(f"/v1/incidents/{ref}")
    assert answer.status_code == 200, answer.text
    detail: dict[str, Any] = answer.json()
    return detail


async def test_the_last_unit_clearing_leaves_the_incident_awaiting_a_result_code(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, redis: Redis,
    scripts: DispatchScripts,
) -> None:  # fmt: skip
    ref = await _dispatched(client, "r1", "CW10")
    busy = await client.post(f"/v1/incidents/{ref}/close", json={"code": "arrest"})
    assert busy.status_code == 409  # today's rule: never while a unit is committed
    assert "units still committed: CW10" in busy.json()["detail"]
    await _clear(redis, scripts, "CW10")
    incident = (await _detail(client, ref))["incident"]
    assert incident["status"] == "awaiting_result"
    assert incident["closed_ms"] is None
    assert incident["cleared_ms"] is not None
    waiting = (await client.get("/v1/incidents", params={"status": "awaiting_result"})).json()
    assert [v["incident"]["ref"] for v in waiting["incidents"]] == [ref]
    open_list = (await client.get("/v1/incidents")).json()["incidents"]
    assert ref not in [v["incident"]["ref"] for v in open_list]  # not open: no new call links

    unknown = await client.post(f"/v1/incidents/{ref}/close", json={"code": "robbed"})
    assert unknown.status_code == 422
    (error,) = unknown.json()["detail"]
    assert error["loc"] == ["body", "code"]
    assert error["msg"].startswith("code: unknown result code 'robbed'; valid codes: ")
    assert "arrest" in error["msg"]
    assert "no_trace" in error["msg"]
    async with asgi_client(app, auth_headers(settings, Role.CALL_HANDLER)) as handler:
        refused = await handler.post(f"/v1/incidents/{ref}/close", json={"code": "arrest"})
    assert refused.status_code == 403

    closed = await client.post(f"/v1/incidents/{ref}/close", json={"code": "arrest", "note": "1"})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["close_code"]) == ("closed", "arrest")
    assert await redis.zcard(CW.awaiting_result) == 0
    again = await client.post(f"/v1/incidents/{ref}/close", json={"code": "arrest"})
    assert again.status_code == 409
    assert "illegal transition closed -> closed" in again.json()["detail"]
    entries = {e["type"]: e for e in (await _detail(client, ref))["chronology"]}
    assert entries["incident_awaiting_result"]["previous"] == "on_scene"
    assert (entries["incident_closed"]["code"], entries["incident_closed"]["category"]) == (
        "arrest", "crime",
    )  # fmt: skip
    missing = await client.post("/v1/incidents/CAD 9999/01JAN26/close", json={"code": "arrest"})
    assert missing.status_code == 404


async def test_two_units_the_incident_awaits_its_result_only_once_both_clear(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts
) -> None:
    for callsign, lon in (("CW21", -0.13), ("CW22", -0.131)):
        unit = {"callsign": callsign, "area": "CW", "base_lon": lon, "base_lat": 51.51}
        assert (await client.post("/v1/units", json=unit)).status_code == 201
    made = await record(client, call_body("r2", grade="I", kind="domestic"))  # two units
    ref = made["incident"]["incident"]["ref"]
    assert sorted(made["incident"]["incident"]["units"]) == ["CW21", "CW22"]
    await _clear(redis, scripts, "CW21")
    assert (await _detail(client, ref))["incident"]["status"] == "on_scene"  # CW22 still out
    assert await redis.zcard(CW.awaiting_result) == 0
    await _clear(redis, scripts, "CW22")
    assert (await _detail(client, ref))["incident"]["status"] == "awaiting_result"


async def test_a_supervisor_amends_a_result_within_the_window_saying_why(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, redis: Redis
) -> None:
    made = await record(client, call_body("r3", kind="theft_report"))  # ungraded: pending
    ref = made["incident"]["incident"]["ref"]
    body = {"code": "crime_reported", "reason": "victim came forward"}
    still_open = await client.post(f"/v1/incidents/{ref}/result", json=body)
    assert still_open.status_code == 409
    assert still_open.json()["detail"] == "code: a pending incident has no result to amend"
    closed = await client.post(f"/v1/incidents/{ref}/close", json={"code": "no_trace"})
    assert closed.status_code == 200, closed.text

    async with asgi_client(app, auth_headers(settings, Role.DISPATCHER)) as dispatcher:
        assert (await dispatcher.post(f"/v1/incidents/{ref}/result", json=body)).status_code == 403
    async with asgi_client(app, auth_headers(settings, Role.SUPERVISOR, subject="PS42")) as sup:
        no_reason = await sup.post(f"/v1/incidents/{ref}/result", json={"code": "arrest"})
        assert [e["loc"] for e in no_reason.json()["detail"]] == [["body", "reason"]]
        unknown = await sup.post(f"/v1/incidents/{ref}/result", json={**body, "code": "x"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["loc"] == ["body", "code"]
        amended = await sup.post(f"/v1/incidents/{ref}/result", json=body)
        assert amended.status_code == 200, amended.text
        answer = amended.json()
        assert (answer["previous"], answer["code"], answer["category"]) == (
            "no_trace", "crime_reported", "crime",
        )  # fmt: skip
        assert answer["incident"]["close_code"] == "crime_reported"
        same = await sup.post(f"/v1/incidents/{ref}/result", json=body)
        assert same.status_code == 409
        # Closed longer ago than the window allows (a week by default): refused.
        week_ago_ms = int((time.time() - settings.result_amend_window_s - 60) * 1000)
        await redis.hset(CW.incident(ref), "closed_ms", str(week_ago_ms))
        late = await sup.post(f"/v1/incidents/{ref}/result", json={**body, "code": "arrest"})
        assert late.status_code == 409
        assert "before the amendment window" in late.json()["detail"]
        gone = await sup.post("/v1/incidents/CAD 9999/01JAN26/result", json=body)
        assert gone.status_code == 404
    (entry,) = [e for e in (await _detail(client, ref))["chronology"]
                if e["type"] == "result_amended"]  # fmt: skip
    assert (entry["previous"], entry["code"], entry["reason"], entry["actor"]) == (
        "no_trace", "crime_reported", "victim came forward", "user:PS42(supervisor)",
    )  # fmt: skip
    assert (await _detail(client, ref))["incident"]["close_code"] == "crime_reported"
