"""Every incident state as an EIDO, through the real app against real Redis and broker: each
document is valid against the (mended) NENA schema and says what the incident is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from interop.eido.ids import incident_id, our_ref
from interop.eido.pidf import read_pidf_lo
from interop.eido.validation import eido_errors

HERE = {"lon": -0.1281, "lat": 51.5080, "radius_m": 40.0}
WATFORD = {"lon": -0.3963, "lat": 51.6565}


def call(call_id: str, *, grade: str | None, kind: str | None, where: Any = HERE) -> Any:
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": where, "incident_type": kind, "grade": grade, "cli": "07700900123",
        "text": "caller's own words",
    }  # fmt: skip


async def post(client: httpx.AsyncClient, path: str, body: Any) -> Any:
    answer = await client.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def eido(client: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    answer = await client.get(f"/v1/incidents/{ref}/eido")
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    assert eido_errors(document) == [], eido_errors(document)
    return document


def status_of(document: dict[str, Any]) -> tuple[str, str]:
    incident = document["incidentComponent"]
    return incident["incidentStatusInternalText"][0], incident["incidentStatusCommonRegistryText"][
        0
    ]


def units_of(document: dict[str, Any]) -> dict[str, str]:
    return {
        u["emergencyResourceName"]: u["primaryUnitStatusRegistryText"]
        for u in document.get("emergencyResourceComponent", [])
    }


@pytest.mark.topologies("single", "cluster")
async def test_an_incident_is_a_valid_eido_through_its_whole_life(
    client: httpx.AsyncClient,
) -> None:
    for callsign in ("CW41", "CW42"):
        unit = {"callsign": callsign, "area": "CW", "base_lon": -0.13, "base_lat": 51.51}
        await post(client, "/v1/units", unit)
    # Recorded (new, then queued at once: ungraded, so for a dispatcher), no units.
    made = await post(client, "/v1/calls", call("e-1", grade=None, kind=None))
    ref = made["incident"]["incident"]["ref"]
    new = await eido(client, ref)
    assert status_of(new) == ("pending", "Queued")
    assert (
        our_ref(new["$id"], "met.police.uk")
        == ref
        == new["incidentComponent"]["internalIncidentId"]
    )
    assert new["$id"] == incident_id(ref, "met.police.uk")
    where = read_pidf_lo(new["locationComponent"][0]["locationByValue"])
    assert (where.lon, where.lat, where.radius_m) == (HERE["lon"], HERE["lat"], 40.0)
    assert "emergencyResourceComponent" not in new
    # A second caller's call linked: two calls, and nothing of the callers' own.
    await post(client, "/v1/calls", call("e-2", grade=None, kind=None))
    await post(client, f"/v1/incidents/{ref}/links", {"call_id": "e-2"})
    linked = await eido(client, ref)
    assert len(linked["callComponent"]) == 2
    assert "07700900123" not in str(linked)
    assert "own words" not in str(linked)
    # Graded I as violence: both units sent.
    kind = {"incident_type": "violence", "reason": "the second caller saw a fight"}
    await post(client, f"/v1/incidents/{ref}/type", kind)
    thrive = {"threat": "high", "harm": "high", "risk": "high"}
    await post(
        client, f"/v1/incidents/{ref}/grade", {"thrive": thrive, "grade": "I", "reason": "a fight"}
    )
    dispatched = await eido(client, ref)
    assert status_of(dispatched) == ("dispatched", "Dispatched")
    assert units_of(dispatched) == {"CW41": "Dispatched", "CW42": "Dispatched"}
    assert dispatched["incidentComponent"]["incidentCommonPriorityNumber"] == 1
    # On scene, with a remark.
    await post(client, "/v1/units/CW41/status", {"status": "on_scene"})
    await post(client, "/v1/units/CW42/status", {"status": "en_route"})
    await post(client, f"/v1/incidents/{ref}/log", {"text": "one detained <at scene>"})
    on_scene = await eido(client, ref)
    assert status_of(on_scene) == ("on_scene", "OnScene")
    assert units_of(on_scene) == {"CW41": "OnScene", "CW42": "Enroute"}
    (note,) = on_scene["notesComponent"]
    assert note["notesActionComments"] == "one detained &lt;at scene&gt;"
    # Both clear; closed with a result.
    await post(client, "/v1/units/CW42/status", {"status": "on_scene"})
    for callsign in ("CW41", "CW42"):
        await post(client, f"/v1/units/{callsign}/status", {"status": "available"})
    await post(client, f"/v1/incidents/{ref}/close", {"code": "arrest", "note": "one arrested"})
    closed = await eido(client, ref)
    assert status_of(closed) == ("closed", "Closed")
    assert units_of(closed) == {"CW41": "Cleared", "CW42": "Cleared"}
    (disposition,) = closed["incidentComponent"]["dispositionComponent"]
    assert disposition["dispositionCommonRegistryCode"] == "arrest"
    stamps = [d["lastUpdateTimeStamp"] for d in (new, linked, dispatched, on_scene, closed)]
    assert stamps == sorted(stamps)


async def test_a_transferred_incident_names_the_force_and_its_reference(
    client: httpx.AsyncClient,
) -> None:
    made = await post(client, "/v1/calls", call("e-3", grade="S", kind="violence", where=WATFORD))
    ref = made["incident"]["incident"]["ref"]
    held = await eido(client, ref)
    assert status_of(held) == ("transfer", "TransferPending")
    assert [a["$id"] for a in held["agencyComponent"]] == ["met.police.uk", "herts.police.uk"]
    body = {"force": "Hertfordshire Constabulary", "reference": "HC-41", "note": "by phone"}
    await post(client, f"/v1/incidents/{ref}/transfer", body)
    moved = await eido(client, ref)
    assert status_of(moved) == ("transferred", "Transferred")
    owners = {a["$id"]: a["incidentOwningAgencyIndicator"] for a in moved["agencyComponent"]}
    assert owners == {"met.police.uk": False, "herts.police.uk": True}
    (link,) = moved["linkComponent"]
    assert link["incidentTrackingIdentifier"] == "HC-41"
    assert link["involvedAgencyReference"] == {"$ref": "herts.police.uk"}


async def test_an_unknown_incident_has_no_eido(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/incidents/CAD 9999/01JAN26/eido")
    assert answer.status_code == 404
