"""What the console needs of the API beyond the map's: who the token names and what it may do,
the duplicate candidates of a call being taken, the streets layer, and the console's files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from cad.tokens import Role
from service.live.streets import road_class, streets_geojson
from tests.helpers import asgi_client, auth_headers

TRAFALGAR = (-0.1281, 51.5080)  # Westminster: BCU Central West


def call(call_id: str, kind: str, lon: float, lat: float) -> dict[str, Any]:
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": lon, "lat": lat, "radius_m": 40}, "incident_type": kind,
    }  # fmt: skip


async def open_refs(client: httpx.AsyncClient) -> list[tuple[str, int]]:
    """The open incidents and how many calls each has."""
    listed = (await client.get("/v1/incidents", params={"status": "open"})).json()["incidents"]
    return [(i["incident"]["ref"], i["incident"]["call_count"]) for i in listed]


async def test_me_names_the_roles_and_only_the_operations_they_admit(
    app: FastAPI, settings: Settings
) -> None:
    headers = auth_headers(settings, Role.DISPATCHER, subject="PC0042")
    async with asgi_client(app, headers) as client:
        me = (await client.get("/v1/me")).json()
    assert (me["subject"], me["roles"]) == ("PC0042", ["dispatcher"])
    assert "POST /v1/incidents/{ref}/dispatch" in me["allowed"]
    assert "GET /v1/me" in me["allowed"]
    # Call taking and grading are the call handlers' and supervisors'.
    assert "POST /v1/calls" not in me["allowed"]
    assert "POST /v1/incidents/{ref}/grade" not in me["allowed"]
    async with asgi_client(app) as anonymous:
        assert (await anonymous.get("/v1/me")).status_code == 401


@pytest.mark.topologies("single", "cluster")
async def test_candidates_score_open_incidents_near_a_call_and_record_nothing(
    app: FastAPI, settings: Settings
) -> None:
    lon, lat = TRAFALGAR
    async with asgi_client(app, auth_headers(settings)) as client:
        created = await client.post("/v1/calls", json=call("cand-1", "theft_report", lon, lat))
        assert created.status_code == 201, created.text
        ref = created.json()["incident"]["incident"]["ref"]
        before = await open_refs(client)
        near: dict[str, float | str] = {
            "lon": lon + 0.0005,
            "lat": lat,
            "radius_m": 50,
            "incident_type": "theft_report",
        }
        found = (await client.get("/v1/calls/candidates", params=near)).json()
        assert found["area"] == "CW"
        assert [c["ref"] for c in found["candidates"]] == [ref]
        same_type = found["candidates"][0]
        other = {**near, "incident_type": "violence"}
        differs = (await client.get("/v1/calls/candidates", params=other)).json()
        # The same place, another type: still a candidate, with a lower score.
        assert differs["candidates"][0]["score"] < same_type["score"]
        assert 20 < same_type["distance_m"] < 50
        far = await client.get("/v1/calls/candidates", params={"lon": lon + 0.05, "lat": lat})
        assert far.json()["candidates"] == []
        assert await open_refs(client) == before == [(ref, 1)]
        unknown = await client.get("/v1/calls/candidates", params={**near, "incident_type": "x"})
        assert unknown.status_code == 422
        assert unknown.json()["detail"][0]["loc"] == ["query", "incident_type"]
    async with asgi_client(app, auth_headers(settings, Role.DISPATCHER)) as dispatcher:
        refused = await dispatcher.get("/v1/calls/candidates", params=near)
    assert refused.status_code == 403


def test_the_streets_are_westminsters_roads_each_once() -> None:
    features = json.loads(streets_geojson())["features"]
    lines = {f["properties"]["class"]: f["geometry"]["coordinates"] for f in features}
    assert set(lines) == {"major", "minor"}
    assert len(lines["major"]) > 1000
    assert len(lines["minor"]) > 3000
    points = [p for parts in lines.values() for line in parts for p in line]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    assert min(lons) > -0.22
    assert max(lons) < -0.10
    assert min(lats) > 51.48
    assert max(lats) < 51.54
    # A two-way street is one line, not one per direction.
    assert len({json.dumps(line) for parts in lines.values() for line in parts}) == sum(
        len(parts) for parts in lines.values()
    )
    assert len(streets_geojson()) < 600_000


@pytest.mark.parametrize(
    ("highway", "kind"),
    [("primary", "major"), ("trunk_link", "minor"), ("['residential', 'secondary']", "major"),
     ("residential", "minor"), (None, "minor")],
)  # fmt: skip
def test_road_classes(highway: object, kind: str) -> None:
    assert road_class(highway) == kind


async def test_the_console_page_and_every_module_it_loads_are_served(
    app: FastAPI, settings: Settings
) -> None:
    async with asgi_client(app) as client:
        page = await client.get("/console")
        assert page.status_code == 200
        html = page.text
        sources = re.findall(r'(?:src|href)="(/[^"]+)"', html)
        modules = ["/console/static/app.js"]
        seen = set()
        while modules:
            url = modules.pop()
            if url in seen:
                continue
            seen.add(url)
            script = await client.get(url)
            assert script.status_code == 200, url
            assert script.headers["content-type"].startswith("text/javascript")
            for name in re.findall(r'from "(\.?/[^"]+)"', script.text):
                modules.append(name if name.startswith("/") else "/console/static/" + name[2:])
        for url in sources:
            assert (await client.get(url)).status_code == 200, url
        for name in ("../routes.py", "console.html", "nope.js", "__init__.py"):
            assert (await client.get(f"/console/static/{name}")).status_code == 404
    assert "/live/static/state.js" in seen
    assert "/console/static/incident.js" in seen
