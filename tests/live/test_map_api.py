"""The map's HTTP read models against a real service: snapshot, chronology, KPIs, page, outlines."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cad.incident_record import FINAL
from cad.settings import Settings
from service.live.boundaries import boundaries_geojson
from tests.helpers import auth_headers


def call(call_id: str, kind: str, grade: str, east_km: float, age_s: int = 0) -> dict[str, Any]:
    received = datetime.now(UTC) - timedelta(seconds=age_s)
    lon = -0.20 + east_km / 69.0  # a few km apart: no duplicate linking between them
    return {
        "call_id": call_id,
        "received_at": received.isoformat(),
        "source": "999",
        "location": {"lon": lon, "lat": 51.51},
        "incident_type": kind,
        "grade": grade,
    }


async def record(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await client.post("/v1/calls", json=body)
    assert response.status_code == 201, response.text
    # The call API's incident view is being extended (issue 4): take the ref from either shape.
    incident = response.json()["incident"]
    ref: str = incident.get("ref") or incident["incident"]["ref"]
    return ref


@pytest.mark.topologies("single", "cluster")
async def test_the_snapshot_orders_the_queue_as_the_core_does_and_keeps_private_fields_out(
    live_url: str, settings: Settings
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=10, headers=auth_headers(settings)
    ) as client:
        old_e = await record(client, call("q-1", "theft_report", "E", 0, age_s=120))
        s = await record(client, call("q-2", "concern_for_welfare", "S", 4))  # no unit: it waits
        # 12 km, past the City of London (8 km), whose calls are held for its own force.
        new_e = await record(client, call("q-3", "theft_report", "E", 12))
        snapshot = (await client.get("/v1/live/snapshot")).json()
        kpis = (await client.get("/v1/live/kpis")).json()
    assert snapshot["queue"] == [s, old_e, new_e]
    rows = {i["ref"]: i for i in snapshot["incidents"]}
    assert set(rows) == {s, old_e, new_e}
    assert rows[s]["grade"] == "S"
    assert rows[s]["status"] == "pending"
    assert rows[s]["queue_score"] is not None
    assert rows[old_e]["received_ms"] < rows[new_e]["received_ms"]
    assert "cli_hashes" not in rows[s]
    assert snapshot["cursor"]
    assert "0-0" not in snapshot["cursor"].values()  # taken after the incidents' entries
    assert kpis["calls_last_hour"] == 3
    assert kpis["i_within_target_pct"] is None


async def test_the_chronology_lists_an_incidents_entries_and_linked_calls(
    live_url: str, settings: Settings
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=10, headers=auth_headers(settings)
    ) as client:
        ref = await record(client, call("c-1", "theft_report", "E", 0))
        await record(client, call("c-2", "theft_report", "E", 6))  # another incident's entries
        url = f"/v1/live/incidents/{ref}/chronology"
        chronology = (await client.get(url)).json()
        missing = await client.get("/v1/live/incidents/CAD 9999/01JAN26/chronology")
    assert chronology["incident"]["ref"] == ref
    assert [e["type"] for e in chronology["entries"]] == ["incident_created", "incident_queued"]
    assert all(e["ref"] == ref for e in chronology["entries"])
    assert [c["call_id"] for c in chronology["calls"]] == ["c-1"]
    assert chronology["truncated"] is False
    assert missing.status_code == 404
    assert "no incident" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "text/html"),
        ("/live/static/main.js", "text/javascript"),
        ("/live/static/panels.js", "text/javascript"),
        ("/live/static/units-layer.js", "text/javascript"),
        ("/live/static/alarms.js", "text/javascript"),
        ("/live/static/leaflet.js", "text/javascript"),
        ("/live/static/map.css", "text/css"),
        ("/live/static/leaflet.css", "text/css"),
    ],
)
async def test_the_page_and_its_vendored_assets_are_served(
    live_url: str, settings: Settings, path: str, kind: str
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=10, headers=auth_headers(settings)
    ) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(kind)


@pytest.mark.parametrize("name", ["../app.py", "index.html", "LEAFLET-LICENSE.txt", "nope.js"])
async def test_nothing_else_is_served_from_the_package(
    live_url: str, settings: Settings, name: str
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=10, headers=auth_headers(settings)
    ) as client:
        response = await client.get(f"/live/static/{name}")
    assert response.status_code == 404


def test_the_outlines_are_33_boroughs_and_12_bcus_and_small() -> None:
    features = json.loads(boundaries_geojson())["features"]
    boroughs = [f for f in features if f["properties"]["kind"] == "borough"]
    bcus = [f for f in features if f["properties"]["kind"] == "bcu"]
    assert len(boroughs) == 33
    assert sorted(f["properties"]["bcu"] for f in bcus) == sorted(
        ["CW", "CN", "CS", "CE", "NO", "NW", "NE", "EA", "SE", "SO", "SW", "WE"]
    )
    assert {f["properties"]["bcu"] for f in boroughs if f["properties"]["name"] == "Camden"} == {
        "CN"
    }
    assert len(boundaries_geojson()) < 300_000  # from 2 MB
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


async def test_a_call_for_another_force_is_on_the_map_with_its_force(
    live_url: str, settings: Settings
) -> None:
    city = call("q-city", "theft_report", "S", 0) | {"location": {"lon": -0.0886, "lat": 51.5133}}
    async with httpx.AsyncClient(
        base_url=live_url, timeout=10, headers=auth_headers(settings)
    ) as client:
        held = await record(client, city)
        rows = {i["ref"]: i for i in (await client.get("/v1/live/snapshot")).json()["incidents"]}
        assert (rows[held]["status"], rows[held]["transfer_force"]) == (
            "transfer", "City of London Police",
        )  # fmt: skip
        handed = await client.post(
            f"/v1/incidents/{held}/transfer",
            json={"force": "City of London Police", "note": "taken by CoLP control"},
        )
        assert handed.status_code == 200, handed.text
        after = (await client.get("/v1/live/snapshot")).json()["incidents"]
    assert held not in {i["ref"] for i in after}  # handed over: off the map, as any final one


def test_the_page_and_the_service_agree_on_the_final_statuses(repo_root: Path) -> None:
    script = (repo_root / "service/live/static/state.js").read_text(encoding="utf-8")
    listed = re.search(r"export const FINAL = new Set\(\[([^\]]*)\]\)", script)
    assert listed is not None
    assert {s.strip().strip('"') for s in listed.group(1).split(",")} == {s.value for s in FINAL}
