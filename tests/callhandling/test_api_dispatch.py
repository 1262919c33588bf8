"""Units, recommendations and dispatching over HTTP, through the ASGI app against real servers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

SCENE = {"lon": -0.1281, "lat": 51.5080}


def unit(callsign: str, east_m: float, caps: list[str] | None = None) -> dict[str, Any]:
    return {
        "callsign": callsign,
        "unit_type": "irv",
        "capabilities": caps or ["response"],
        "area": "CW",
        "base_lon": SCENE["lon"] + east_m / 69_000,
        "base_lat": SCENE["lat"],
    }


async def record(client: httpx.AsyncClient, call_id: str, grade: str, kind: str) -> str:
    body = {
        "call_id": call_id,
        "received_at": datetime.now(UTC).isoformat(),
        "source": "101",
        "location": SCENE,
        "incident_type": kind,
        "grade": grade,
    }
    response = await client.post("/v1/calls", json=body)
    assert response.status_code == 201, response.text
    ref: str = response.json()["incident"]["incident"]["ref"]
    return ref


async def test_register_and_read_units(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/units", json=unit("CW70", 100, ["response", "dog"]))
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["status"] == "available"
    assert view["stale"] is False
    assert abs(view["lon"] - (SCENE["lon"] + 100 / 69_000)) < 1e-5
    read = (await client.get("/v1/units/CW70")).json()
    assert sorted(read["unit"]["capabilities"]) == ["dog", "response"]
    listed = await client.get("/v1/units", params={"status": "available"})
    assert [u["unit"]["callsign"] for u in listed.json()] == ["CW70"]
    assert (await client.get("/v1/units/NOPE")).status_code == 404
    bad = await client.post("/v1/units", json={**unit("CW71", 0), "crew": 40})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "crew"]


async def test_an_extended_incident_waits_then_a_dispatcher_accepts_the_recommendation(
    client: httpx.AsyncClient,
) -> None:
    for callsign, east, caps in (("CW80", 200, None), ("CW81", 900, None), ("CW82", 50, ["dog"])):
        await client.post("/v1/units", json=unit(callsign, east, caps))
    ref = await record(client, "e-1", "E", "theft_report")
    incident = (await client.get(f"/v1/incidents/{ref}")).json()["incident"]
    assert incident["status"] == "pending"
    advice = (await client.get(f"/v1/incidents/{ref}/recommendation")).json()
    assert advice["complete"] is True
    assert [c["callsign"] for c in advice["chosen"]] == ["CW80"]
    assert advice["chosen"][0]["eta_s"] > 0
    reasons = {p["callsign"]: p["reason"] for p in advice["passed"]}
    assert reasons == {
        "CW82": "lacks capability: response",
        "CW81": "further than the units chosen",
    }
    sent = await client.post(f"/v1/incidents/{ref}/dispatch", json={})
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"ref": ref, "outcome": "claimed", "units": ["CW80"]}
    read = (await client.get(f"/v1/incidents/{ref}")).json()
    assert read["incident"]["status"] == "dispatched"


async def test_a_dispatcher_override_names_units_and_needs_a_reason(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/v1/units", json=unit("CW90", 200))
    await client.post("/v1/units", json=unit("CW91", 5_000))
    ref = await record(client, "e-2", "E", "theft_report")
    no_reason = await client.post(f"/v1/incidents/{ref}/dispatch", json={"callsigns": ["CW91"]})
    assert no_reason.status_code == 422
    assert "reason: required when units are named" in no_reason.text
    chosen = await client.post(
        f"/v1/incidents/{ref}/dispatch", json={"callsigns": ["CW91"], "reason": "knows the caller"}
    )
    assert chosen.json()["units"] == ["CW91"]
    other = await record(client, "e-3", "E", "theft_report")
    taken = await client.post(
        f"/v1/incidents/{other}/dispatch", json={"callsigns": ["CW91"], "reason": "again"}
    )
    assert taken.status_code == 409
    assert taken.json()["detail"].startswith("units: CW91: not available: assigned")
    missing = await client.get("/v1/incidents/CAD 9999/01JAN26/recommendation")
    assert missing.status_code == 404
