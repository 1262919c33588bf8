"""`GET /v1/reports/kpis` against real Redis and PostgreSQL: incidents with known times, in
both stores, across two BCUs, the grades, a shift boundary and the day the clocks go forward,
give known counts, medians, 90th percentiles and shares within target, as JSON and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from psycopg.types.json import Jsonb
from redis.asyncio import Redis

from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from cad.tokens import Role
from geo import BCUS
from history.archiver import Archiver
from history.rows import incident_row
from history.store import HistoryStore
from service.postgres_server import embedded_postgres
from tests.helpers import asgi_client, auth_headers, eventually, running_app
from tests.history.making import open_incident, refer

_INSERT = (
    "INSERT INTO incidents (ref, area, status, grade, incident_type, result, created_at,"
    " closed_at, units, record, calls, search)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, to_tsvector('simple', %s))"
)
# 29 March 2026: the clocks go from 01:00 GMT to 02:00 BST.
WINDOW = {"from": "2026-03-28T00:00:00Z", "to": "2026-03-30T00:00:00Z"}


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _fields(
    ref: str, area: str, grade: str | None, status: str, received: str,
    to_dispatch_s: int | None = None, to_scene_s: int | None = None,
) -> dict[str, str]:  # fmt: skip
    """An incident hash as the dispatch core stores it; times after the call in seconds."""
    received_ms = _ms(received)
    dispatched = None if to_dispatch_s is None else received_ms + to_dispatch_s * 1000
    on_scene = None if to_scene_s is None or dispatched is None else dispatched + to_scene_s * 1000
    return {
        "ref": ref, "area": area, "call_id": f"c-{ref}", "status": status, "grade": grade or "",
        "incident_type": "robbery", "source": "999", "lon": "-0.1281", "lat": "51.508",
        "received_ms": str(received_ms), "created_ms": str(received_ms + 50),
        "dispatched_ms": "" if dispatched is None else str(dispatched),
        "on_scene_ms": "" if on_scene is None else str(on_scene),
        "closed_ms": "" if status not in ("closed", "cancelled", "referred")
        else str(received_ms + 7_200_000),
        "units": f"{area}1" if dispatched is not None else "",
    }  # fmt: skip


async def _archived(store: HistoryStore, *hashes: dict[str, str]) -> None:
    async with store.connection() as conn, conn.cursor() as cur:
        for fields in hashes:
            row = incident_row(IncidentRecord.from_hash(fields), fields, [])
            await cur.execute(_INSERT, (*row[:9], Jsonb(row[9]), Jsonb(row[10]), row[11]))


async def _live(redis: Redis, *hashes: dict[str, str]) -> None:
    for fields in hashes:
        await redis.hset(AreaKeys(fields["area"]).incident(fields["ref"]), mapping=fields)
        await redis.hset(GlobalKeys().incident_area, fields["ref"], fields["area"])


async def _seed(redis: Redis, store: HistoryStore) -> None:
    await _archived(
        store,
        # CW, I, the night shift of 28 March (23:00 GMT to 07:00 BST: 06:00Z).
        _fields("A1", "CW", "I", "closed", "2026-03-28T23:10:00Z", 60, 600),  # 660 s: met
        _fields("A2", "CW", "I", "closed", "2026-03-29T02:00:00Z", 120, 900),  # 1020 s: missed
        # 07:00 BST: the early shift, though still before 07:00 GMT.
        _fields("A5", "CW", "I", "closed", "2026-03-29T06:00:00Z", 100, 200),
        # 00:30 BST on 30 March: the night shift of the 29th, the day of the 30th. Closed
        # without a unit on scene: missed.
        _fields("A7", "CW", "I", "closed", "2026-03-29T23:30:00Z"),
        # CN, S, the late shift of 28 March.
        _fields("C1", "CN", "S", "closed", "2026-03-28T16:00:00Z", 300, 1500),  # met
        _fields("C2", "CN", "S", "closed", "2026-03-28T17:00:00Z", 600, 3300),  # missed
        _fields("C3", "CN", "S", "cancelled", "2026-03-28T18:00:00Z"),  # not decided
        _fields("D1", "CN", "E", "closed", "2026-03-28T19:00:00Z", 1000, 2000),
        # In PostgreSQL and (newer) in Redis: counted once, as Redis has it.
        _fields("B1", "CS", "S", "closed", "2026-03-28T08:00:00Z", 100),
        # Before the window.
        _fields("Z1", "CW", "I", "closed", "2026-03-27T23:59:59Z", 10, 10),
    )
    await _live(
        redis,
        _fields("A3", "CW", "I", "closed", "2026-03-29T05:30:00Z", 180, 300),  # not archived yet
        _fields("A4", "CW", "I", "dispatched", "2026-03-29T05:50:00Z", 30),  # open, past target
        _fields("R1", "CW", "R", "referred", "2026-03-28T12:00:00Z"),
        _fields("N1", "CW", None, "new", "2026-03-28T12:30:00Z"),
        # Every unit cleared without reaching it, past its target: missed, though not closed.
        _fields("W1", "CE", "I", "awaiting_result", "2026-03-28T10:00:00Z", 60),
        _fields("B1", "CS", "S", "closed", "2026-03-28T08:00:00Z", 100, 200),
        _fields("Z2", "CW", "I", "dispatched", "2026-03-30T00:00:00Z", 5),  # after the window
    )
    # A record that does not read: named, not counted.
    await redis.hset(AreaKeys("CW").incident("X1"), mapping={"area": "CW", "status": "new"})
    await redis.hset(GlobalKeys().incident_area, "X1", "CW")


def _key(group: dict[str, Any]) -> tuple[str, str | None, str, str | None]:
    return (group["day"], group["shift"], group["area"], group["grade"])


async def test_kpis_by_shift_across_the_clock_change(
    history_client: httpx.AsyncClient, redis: Redis, store: HistoryStore
) -> None:
    await _seed(redis, store)
    answer = await history_client.get("/v1/reports/kpis", params={**WINDOW, "by": "shift"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["left_out"] == ["X1"]
    groups = {_key(g): g for g in body["groups"]}
    assert list(groups) == [
        ("2026-03-28", "early", "CE", "I"),
        ("2026-03-28", "early", "CS", "S"),
        ("2026-03-28", "early", "CW", "R"),
        ("2026-03-28", "early", "CW", None),
        ("2026-03-28", "late", "CN", "E"),
        ("2026-03-28", "late", "CN", "S"),
        ("2026-03-28", "night", "CW", "I"),
        ("2026-03-29", "early", "CW", "I"),
        ("2026-03-29", "night", "CW", "I"),
    ]
    night = groups[("2026-03-28", "night", "CW", "I")]
    # A1, A2 archived; A3 and A4 only in Redis.
    assert (night["period_start"], night["period_end"]) == (
        "2026-03-28T23:00:00Z", "2026-03-29T06:00:00Z",
    )  # fmt: skip
    assert {k: night[k] for k in (
        "incidents", "dispatched", "call_to_dispatch_median_s", "call_to_dispatch_p90_s",
        "attended", "dispatch_to_arrival_median_s", "dispatch_to_arrival_p90_s", "target_s",
        "target_decided", "within_target", "within_target_pct", "target_note",
    )} == {
        "incidents": 4, "dispatched": 4,
        "call_to_dispatch_median_s": 90.0, "call_to_dispatch_p90_s": 162.0,  # 30 60 120 180
        "attended": 3,
        "dispatch_to_arrival_median_s": 600.0, "dispatch_to_arrival_p90_s": 840.0,  # 300 600 900
        "target_s": 900, "target_decided": 4, "within_target": 2, "within_target_pct": 50.0,
        "target_note": None,
    }  # fmt: skip
    early = groups[("2026-03-29", "early", "CW", "I")]
    assert (early["incidents"], early["within_target_pct"]) == (1, 100.0)
    assert early["period_start"] == "2026-03-29T06:00:00Z"
    late = groups[("2026-03-28", "late", "CN", "S")]
    assert (late["incidents"], late["dispatched"], late["attended"]) == (3, 2, 2)
    assert (late["call_to_dispatch_median_s"], late["call_to_dispatch_p90_s"]) == (450.0, 570.0)
    assert (late["dispatch_to_arrival_median_s"], late["dispatch_to_arrival_p90_s"]) == (
        2400.0, 3120.0,
    )  # fmt: skip
    assert (late["target_s"], late["target_decided"], late["within_target_pct"]) == (3600, 2, 50.0)
    waiting = groups[("2026-03-28", "early", "CE", "I")]
    assert (waiting["target_decided"], waiting["within_target"], waiting["within_target_pct"]) == (
        1, 0, 0.0,
    )  # fmt: skip
    both = groups[("2026-03-28", "early", "CS", "S")]
    assert (both["incidents"], both["attended"], both["within_target_pct"]) == (1, 1, 100.0)
    for grade, words in (("E", "grade E has no"), ("R", "grade R has no"), (None, "not graded")):
        group = next(g for g in body["groups"] if g["grade"] == grade)
        assert (group["target_s"], group["within_target_pct"]) == (None, None)
        assert group["target_note"].startswith(words)
    cut = groups[("2026-03-29", "night", "CW", "I")]
    assert (cut["period_start"], cut["period_end"]) == (
        "2026-03-29T22:00:00Z", "2026-03-30T00:00:00Z",
    )  # fmt: skip
    assert (cut["target_decided"], cut["within_target"], cut["within_target_pct"]) == (1, 0, 0.0)


async def test_kpis_by_local_day_for_one_bcu(
    history_client: httpx.AsyncClient, redis: Redis, store: HistoryStore
) -> None:
    await _seed(redis, store)
    answer = await history_client.get(
        "/v1/reports/kpis", params={**WINDOW, "by": "day", "area": "CW"}
    )
    assert answer.status_code == 200, answer.text
    groups = {_key(g): g for g in answer.json()["groups"]}
    assert {k[2] for k in groups} == {"CW"}
    day = groups[("2026-03-29", None, "CW", "I")]
    # The 29th is 23 hours long: 00:00 GMT to 00:00 BST.
    assert (day["period_start"], day["period_end"]) == (
        "2026-03-29T00:00:00Z", "2026-03-29T23:00:00Z",
    )  # fmt: skip
    # A2, A3, A4, A5: dispatch 120 180 30 100 s; arrival 900 300 200 s.
    assert (day["incidents"], day["dispatched"], day["attended"]) == (4, 4, 3)
    assert (day["call_to_dispatch_median_s"], day["call_to_dispatch_p90_s"]) == (110.0, 162.0)
    assert (day["dispatch_to_arrival_median_s"], day["dispatch_to_arrival_p90_s"]) == (
        300.0, 780.0,
    )  # fmt: skip
    assert (day["target_decided"], day["within_target"], day["within_target_pct"]) == (4, 2, 50.0)
    assert groups[("2026-03-28", None, "CW", "I")]["incidents"] == 1  # A1 (23:10 GMT)
    assert groups[("2026-03-30", None, "CW", "I")]["incidents"] == 1  # A7 (00:30 BST)


async def test_the_csv_holds_the_same_figures(
    history_client: httpx.AsyncClient, redis: Redis, store: HistoryStore
) -> None:
    await _seed(redis, store)
    params = {**WINDOW, "by": "shift"}
    as_json = (await history_client.get("/v1/reports/kpis", params=params)).json()
    by_header = await history_client.get(
        "/v1/reports/kpis", params=params, headers={"Accept": "text/csv"}
    )
    by_format = await history_client.get("/v1/reports/kpis", params={**params, "format": "csv"})
    for answer in (by_header, by_format):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"] == (
            'attachment; filename="kpis_all_20260328T0000Z_20260330T0000Z_shift.csv"'
        )
    rows = list(csv.DictReader(io.StringIO(by_format.text)))
    assert by_format.text.startswith("day,shift,period_start,period_end,area,grade,incidents,")
    assert len(rows) == len(as_json["groups"])
    for row, group in zip(rows, as_json["groups"], strict=True):
        assert set(row) == set(group)
        for name, value in group.items():
            cell = row[name]
            if value is None:
                assert cell == ""
            elif isinstance(value, float):
                assert float(cell) == value
            elif isinstance(value, int):
                assert int(cell) == value
            else:
                assert cell == value
    # The format parameter wins over the header.
    json_anyway = await history_client.get(
        "/v1/reports/kpis", params={**params, "format": "json"}, headers={"Accept": "text/csv"}
    )
    assert json_anyway.json() == {**as_json, "generated_at": json_anyway.json()["generated_at"]}


@pytest.mark.topologies("single", "cluster")
async def test_an_incident_archived_but_still_in_redis_counts_once(
    history_settings: Settings, redis: Redis, store: HistoryStore
) -> None:
    # Archived incidents are kept in Redis through their grace, by the app's archiver too.
    kept = history_settings.model_copy(update={"archive_incident_grace_s": 3600.0})
    async with (
        running_app(kept) as application,
        asgi_client(application, auth_headers(kept)) as http,
    ):
        before = datetime.now(UTC).isoformat()
        ref = await open_incident(http, "r1")
        await refer(http, ref)
        archiver = Archiver(redis, store, batch=1000, keep_audit_s=0.0, incident_grace_s=3600.0)

        async def archived() -> bool:
            # A round skips what the app's own archiver holds at that moment: try again.
            await archiver.archive_once()
            async with store.connection() as conn:
                found = await (
                    await conn.execute("SELECT count(*) FROM incidents WHERE ref = %s", (ref,))
                ).fetchone()
            return found == (1,)

        await eventually(archived, within_s=10)
        assert await redis.hget(GlobalKeys().incident_area, ref) == "CW"
        answer = await http.get(
            "/v1/reports/kpis",
            params={"from": before, "to": datetime.now(UTC).isoformat(), "area": "CW"},
        )
    assert answer.status_code == 200, answer.text
    assert sum(g["incidents"] for g in answer.json()["groups"]) == 1


async def test_who_may_ask_and_what_is_refused(
    history_app: FastAPI, history_settings: Settings
) -> None:
    url = "/v1/reports/kpis"
    for role, status in ((Role.CALL_HANDLER, 403), (Role.ADMIN, 403), (Role.DISPATCHER, 200),
                         (Role.SUPERVISOR, 200)):  # fmt: skip
        async with asgi_client(history_app, auth_headers(history_settings, role)) as http:
            assert (await http.get(url, params=WINDOW)).status_code == status, role
    async with asgi_client(history_app, auth_headers(history_settings, Role.SUPERVISOR)) as http:
        refused = {
            "to": {"from": "2026-03-28T00:00:00Z", "to": "2026-03-28T00:00:00Z"},
            "to ": {"from": "2026-01-01T00:00:00Z", "to": "2026-04-03T00:00:01Z"},
            "area": {**WINDOW, "area": "XX"},
            "from ": {"from": "1969-12-31T00:00:00Z", "to": "1970-01-05T00:00:00Z"},
            "to  ": {"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T00:00:00Z"},
            "from": {"from": "2026-03-28T00:00:00", "to": "2026-03-29T00:00:00Z"},
            " from": {"from": "1774656000", "to": "2026-03-29T00:00:00Z"},  # a number: no
            "by": {**WINDOW, "by": "week"},
            "format": {**WINDOW, "format": "xml"},
        }
        for field, params in refused.items():
            answer = await http.get(url, params=params)
            assert answer.status_code == 422, (field, answer.text)
            assert answer.json()["detail"][0]["loc"] == ["query", field.strip()], answer.text
        assert (await http.get(url, params={"from": WINDOW["from"]})).status_code == 422


async def test_postgresql_down_or_not_configured_is_a_503(settings: Settings, redis: Redis) -> None:
    with embedded_postgres() as own:
        tuned = settings.model_copy(update={"database_url": own.url, "network_timeout_s": 1.0})
        async with (
            running_app(tuned) as application,
            asgi_client(application, auth_headers(tuned)) as http,
        ):
            assert (await http.get("/v1/reports/kpis", params=WINDOW)).status_code == 200
            own.kill()
            down = await http.get("/v1/reports/kpis", params=WINDOW)
    unset = settings.model_copy(update={"database_url": None})
    async with (
        running_app(unset) as application,
        asgi_client(application, auth_headers(unset)) as http,
    ):
        unconfigured = await http.get("/v1/reports/kpis", params=WINDOW)
    for answer in (down, unconfigured):
        assert answer.status_code == 503, answer.text
        assert answer.json()["dependency"] == "postgresql"
        assert "Retry-After" in answer.headers
    assert "127.0.0.1" not in down.json()["detail"]


async def test_openapi_shows_both_answers_and_every_status(
    history_client: httpx.AsyncClient,
) -> None:
    document = (await history_client.get("/openapi.json")).json()
    operation = document["paths"]["/v1/reports/kpis"]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "422", "429", "503"}
    content = operation["responses"]["200"]["content"]
    header = content["text/csv"]["example"].split("\r\n")[0]
    assert header.split(",") == list(document["components"]["schemas"]["KpiGroup"]["properties"])
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/KpiReport"}
    assert document["components"]["schemas"]["KpiReport"]["examples"]
    area = next(p for p in operation["parameters"] if p["name"] == "area")
    assert area["schema"]["enum"] == list(BCUS)
    assert "Roles: dispatcher, supervisor." in operation["description"]
