"""One bad record never fails a whole list: a malformed incident hash (a script bug's partial
record) and a mangled unit entry, planted in Redis, are left out of every list, logged once a
request naming them and counted; asked for by name they are a 409 that says what is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import UnreadableRecords
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from service.live.feed import enrich
from service.runtime import Runtime
from tests.cad.test_metrics import samples_of

AREA = "CW"
SCENE = (-0.1281, 51.508)
BAD_REF = "CAD 9999/01JAN26"
BAD_CALLSIGN = "CW99"
GOOD_CALLSIGN = "CW01"


def call(call_id: str) -> dict[str, Any]:
    """A graded call at the scene."""
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": SCENE[0], "lat": SCENE[1]}, "incident_type": "weapons", "grade": "I",
    }  # fmt: skip


async def plant_bad_records(redis: Redis) -> None:
    """What a script bug left: a partial incident hash listed in the queue and the open set,
    and a unit entry that is not a unit record, at the scene, available."""
    keys, glob = AreaKeys(AREA), GlobalKeys()
    await redis.hset(keys.incident(BAD_REF), mapping={"units": "", "taskings": "", "status": "new"})
    await redis.zadd(keys.pending, {BAD_REF: 0})
    await redis.geoadd(keys.open_incidents, (SCENE[0], SCENE[1], BAD_REF))
    await redis.hset(glob.incident_area, BAD_REF, AREA)
    await redis.hset(keys.units, BAD_CALLSIGN, json.dumps({"callsign": BAD_CALLSIGN}))
    await redis.hset(keys.unit_status, BAD_CALLSIGN, "available")
    for geo_set in (keys.positions, keys.available):
        await redis.geoadd(geo_set, (SCENE[0], SCENE[1], BAD_CALLSIGN))
    await redis.hset(glob.unit_area, BAD_CALLSIGN, AREA)
    await redis.sadd(glob.areas, AREA)


@pytest.fixture
async def planted(
    client: httpx.AsyncClient, redis: Redis, scripts: DispatchScripts
) -> dict[str, str]:
    """A good incident waiting (no unit yet when it came), a good unit, then the bad records."""
    recorded = await client.post("/v1/calls", json=call("unreadable-1"))
    assert recorded.status_code == 201, recorded.text
    unit = Unit(callsign=GOOD_CALLSIGN, area=AREA, base_lon=SCENE[0], base_lat=SCENE[1])
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    await plant_bad_records(redis)
    return {"ref": recorded.json()["incident"]["incident"]["ref"]}


def unreadable_lines(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    """The `record_unreadable` log lines naming this ref or callsign."""
    lines = [
        getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == "record_unreadable"
    ]
    return [f for f in lines if name in (f.get("incident_ref"), f.get("callsign"))]


def unreadable_count(text: str, kind: str) -> float:
    return samples_of(text).get(("cad_records_unreadable_total", (("kind", kind),)), 0.0)


@pytest.mark.parametrize(
    ("path", "kind", "bad", "listed"),
    [
        ("/v1/incidents?status=pending", "incident", BAD_REF, "incidents"),
        ("/v1/incidents?status=open", "incident", BAD_REF, "incidents"),
        ("/v1/live/snapshot", "incident", BAD_REF, "incidents"),
        ("/v1/units", "unit", BAD_CALLSIGN, None),
        (f"/v1/units?area={AREA}", "unit", BAD_CALLSIGN, None),
        ("/v1/live/snapshot", "unit", BAD_CALLSIGN, "units"),
    ],
)
async def test_a_list_leaves_the_bad_record_out_logs_it_once_and_counts_it(
    client: httpx.AsyncClient,
    planted: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    path: str,
    kind: str,
    bad: str,
    listed: str | None,
) -> None:
    before = unreadable_count((await client.get("/metrics")).text, kind)
    caplog.clear()
    response = await client.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    rows = body if listed is None else body[listed]
    names = [json.dumps(row) for row in rows]
    good = planted["ref"] if kind == "incident" else GOOD_CALLSIGN
    assert any(good in name for name in names), body
    assert not any(bad in name for name in names), body
    (line,) = unreadable_lines(caplog, bad)  # once, though the request may read it twice
    assert line["kind"] == kind
    assert line["area"] == AREA
    assert unreadable_count((await client.get("/metrics")).text, kind) == before + 1


@pytest.mark.parametrize(
    ("path", "why"),
    [
        (f"/v1/incidents/{BAD_REF}", "lon: Field required"),
        (f"/v1/incidents/{BAD_REF}/recommendation", "lon: Field required"),
        (f"/v1/live/incidents/{BAD_REF}/chronology", "missing ref"),
        (f"/v1/units/{BAD_CALLSIGN}", "area: Field required"),
    ],
)
async def test_one_bad_record_asked_for_by_name_is_a_409_saying_what_is_wrong(
    app: FastAPI, client: httpx.AsyncClient, planted: dict[str, str], path: str, why: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 409, response.text
    assert why in response.json()["detail"]
    assert "must be repaired" in response.json()["detail"]
    assert "409" in app.openapi()["paths"][path_template(path)]["get"]["responses"]


def path_template(path: str) -> str:
    return path.replace(BAD_REF, "{ref}").replace(BAD_CALLSIGN, "{callsign}")


async def test_a_new_call_near_the_bad_incident_is_still_taken(
    client: httpx.AsyncClient, planted: dict[str, str]
) -> None:
    # Duplicate scoring reads the open incidents near the call: the bad one is passed over.
    response = await client.post("/v1/calls", json=call("unreadable-2"))
    assert response.status_code == 201, response.text
    assert BAD_REF not in [c["ref"] for c in response.json()["candidates"]]


async def test_the_queue_behind_a_bad_incident_is_still_served(
    app: FastAPI, planted: dict[str, str]
) -> None:
    runtime: Runtime = app.state.runtime
    await runtime.dispatcher.serve_pending(AREA, actor="test")  # no error: the bad one is skipped


async def test_registering_the_unit_again_repairs_its_record(
    client: httpx.AsyncClient, planted: dict[str, str]
) -> None:
    unit = {"callsign": BAD_CALLSIGN, "area": AREA, "base_lon": SCENE[0], "base_lat": SCENE[1]}
    assert (await client.post("/v1/units", json=unit)).status_code == 201
    response = await client.get(f"/v1/units/{BAD_CALLSIGN}")
    assert response.status_code == 200
    assert response.json()["unit"]["callsign"] == BAD_CALLSIGN


async def test_the_live_feed_sends_the_entry_without_the_bad_records_logging_each_once(
    app: FastAPI, redis: Redis, planted: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    runtime: Runtime = app.state.runtime
    stream = UnreadableRecords(runtime.metrics.unreadable_records)  # as one stream's
    caplog.clear()
    for _ in range(2):  # two batches naming the bad records: one line each for the stream
        entries: list[dict[str, Any]] = [
            {"type": "unit_status", "area": AREA, "ref": BAD_REF, "callsign": BAD_CALLSIGN},
            {"type": "incident_graded", "area": AREA, "ref": planted["ref"]},
        ]
        await enrich(redis, entries, stream)
        assert entries[0]["incidents"] == []
        assert entries[0]["unit"] is None
        assert [i["ref"] for i in entries[1]["incidents"]] == [planted["ref"]]
    assert len(unreadable_lines(caplog, BAD_REF)) == 1
    assert len(unreadable_lines(caplog, BAD_CALLSIGN)) == 1


async def test_the_kpis_leave_out_an_incident_whose_times_do_not_parse(
    client: httpx.AsyncClient, redis: Redis, planted: dict[str, str]
) -> None:
    keys = AreaKeys(AREA)
    await redis.hset(keys.incident(BAD_REF), "received_ms", "yesterday")
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    await redis.xadd(keys.audit, {"type": "incident_created", "ref": BAD_REF, "ts_ms": now_ms})
    response = await client.get("/v1/live/kpis")
    assert response.status_code == 200, response.text
