"""A control room's shift driven only through the API, against real Redis, PostgreSQL and the
broker: calls taken by place name, graded, linked, dispatched, remarks logged, a unit diverted,
units clear, results given, incidents closed, then found through history search and counted in
the KPI report. Each person works with a token of their own role."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from cad.settings import Settings
from cad.tokens import Role
from service.runtime import Runtime
from tests.helpers import asgi_client, auth_headers, eventually


@asynccontextmanager
async def staff(app: FastAPI, settings: Settings, role: Role, sub: str) -> AsyncIterator[Any]:
    async with asgi_client(app, auth_headers(settings, role, subject=sub)) as client:
        yield client


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def place(handler: httpx.AsyncClient, typed: str, name: str) -> dict[str, float]:
    """What a call handler types of a place the caller names; the hit they pick."""
    found = await ok(await handler.get("/v1/places", params={"q": typed}))
    hit = next(p for p in found["places"] if p["name"] == name)
    assert hit["location"]["bcu"] == "CW"
    return {"lon": hit["lon"], "lat": hit["lat"], "radius_m": 50.0}


def call(call_id: str, where: dict[str, float], kind: str, grade: str | None) -> dict[str, Any]:
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": where, "incident_type": kind, "grade": grade, "cli": "07700900461",
        "text": "caller worried about a man on the ground",
    }  # fmt: skip


async def incident(client: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    detail: dict[str, Any] = await ok(await client.get(f"/v1/incidents/{ref}"))
    return detail


async def crew_reports(dispatcher: httpx.AsyncClient, callsign: str, *statuses: str) -> None:
    """The crew on the radio; the dispatcher sets each status on their behalf."""
    for status in statuses:
        await ok(
            await dispatcher.post(
                f"/v1/units/{callsign}/status", json={"status": status, "note": "on the radio"}
            )
        )


async def test_a_shift_through_the_api(history_app: FastAPI, history_settings: Settings) -> None:
    settings, app = history_settings, history_app
    started = datetime.now(UTC) - timedelta(minutes=1)
    async with (
        staff(app, settings, Role.CALL_HANDLER, "CH101") as handler,
        staff(app, settings, Role.DISPATCHER, "DP202") as dispatcher,
        staff(app, settings, Role.SUPERVISOR, "PS303") as supervisor,
    ):
        # The shift's units: one near Trafalgar Square, one near Leicester Square.
        for callsign, lon in (("CW10", -0.1285), ("CW11", -0.1302)):
            body = {"callsign": callsign, "unit_type": "irv", "capabilities": ["response"],
                    "area": "CW", "base_lon": lon, "base_lat": 51.5095}  # fmt: skip
            await ok(await supervisor.post("/v1/units", json=body), 201)

        # A man collapsed at Trafalgar Square: the caller names the place; the handler grades it.
        trafalgar = await place(handler, "trafalg", "Trafalgar Square")
        first = await ok(
            await handler.post(
                "/v1/calls", json=call("s1", trafalgar, "concern_for_welfare", None)
            ),
            201,
        )
        welfare = first["incident"]["incident"]["ref"]
        assert first["incident"]["incident"]["status"] == "pending"
        graded = await ok(
            await handler.post(
                f"/v1/incidents/{welfare}/grade",
                json={"thrive": {"risk": "high", "threat": "high", "vulnerability": True}},
            )
        )
        assert graded["incident"]["grade"] == "I"
        assert graded["incident"]["status"] == "dispatched"
        (welfare_unit,) = graded["incident"]["units"]

        # A second caller about the same man: a candidate, linked by the handler.
        second = await ok(
            await handler.post(
                "/v1/calls", json=call("s2", trafalgar, "concern_for_welfare", None)
            ),
            201,
        )
        assert [c["ref"] for c in second["candidates"]][:1] == [welfare]
        duplicate = second["incident"]["incident"]["ref"]
        linked = await ok(
            await handler.post(f"/v1/incidents/{welfare}/links", json={"call_id": "s2"})
        )
        assert linked["outcome"] == "moved_and_cancelled"

        # A shop theft in Leicester Square, graded S on the call: the other unit goes, arrives.
        leicester = await place(handler, "leicester sq", "Leicester Square")
        theft_made = await ok(
            await handler.post("/v1/calls", json=call("s3", leicester, "theft_report", "S")), 201
        )
        theft = theft_made["incident"]["incident"]["ref"]
        (theft_unit,) = theft_made["incident"]["incident"]["units"]
        assert theft_unit != welfare_unit
        await crew_reports(dispatcher, theft_unit, "en_route", "on_scene")
        await ok(
            await handler.post(
                f"/v1/incidents/{theft}/log", json={"text": "security guard holding a suspect"}
            ),
            201,
        )

        # A child missing at Piccadilly Circus, grade I: no unit free (one on an I, the other
        # on scene); the dispatcher diverts the unit on the theft.
        piccadilly = await place(handler, "piccadilly c", "Piccadilly Circus")
        missing_made = await ok(
            await handler.post(
                "/v1/calls", json=call("s4", piccadilly, "missing_person_high_risk", "I")
            ),
            201,
        )
        missing = missing_made["incident"]["incident"]["ref"]
        assert missing_made["incident"]["incident"]["units"] == []
        diverted = await ok(
            await dispatcher.post(
                f"/v1/units/{theft_unit}/divert",
                json={"incident_ref": missing, "reason": "missing child: grade I, nearest unit"},
            )
        )
        assert (diverted["from_ref"], diverted["to_ref"]) == (theft, missing)
        assert (await incident(handler, theft))["incident"]["status"] == "pending"

        # The welfare call's unit clears; the theft, back in the queue, gets it (the queue sweep, or
        # the dispatcher if the sweep has not yet).
        await crew_reports(dispatcher, welfare_unit, "en_route", "on_scene", "available")
        assert (await incident(handler, welfare))["incident"]["status"] == "awaiting_result"

        async def theft_has_a_unit() -> bool:
            found = await incident(dispatcher, theft)
            if found["incident"]["status"] == "pending":
                await dispatcher.post(f"/v1/incidents/{theft}/dispatch", json={})
            return bool(found["incident"]["units"])

        await eventually(theft_has_a_unit)
        (theft_second_unit,) = (await incident(dispatcher, theft))["incident"]["units"]
        await crew_reports(dispatcher, theft_second_unit, "en_route", "on_scene", "available")
        await crew_reports(dispatcher, theft_unit, "en_route", "on_scene", "available")

        # Results given; the incidents close.
        for ref, code in (
            (welfare, "person_found_safe"),
            (theft, "crime_reported"),
            (missing, "person_found_safe"),
        ):
            assert (await incident(dispatcher, ref))["incident"]["status"] == "awaiting_result"
            closed = await ok(
                await dispatcher.post(f"/v1/incidents/{ref}/close", json={"code": code})
            )
            assert (closed["status"], closed["close_code"]) == ("closed", code)

        # The archiver's round (it runs on its own in service; here the test says when).
        runtime: Runtime = app.state.runtime
        assert runtime.archiver is not None
        await runtime.archiver.archive_once()
        await runtime.archiver.archive_once()

        # Found through history search, and their chronologies are whole.
        window = {
            "from": started.isoformat(),
            "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        }
        closed_found = await ok(
            await supervisor.get("/v1/incidents", params={"status": "closed", **window})
        )
        assert {i["ref"] for i in closed_found["incidents"]} == {welfare, theft, missing}
        found_safe = await ok(
            await supervisor.get(
                "/v1/incidents",
                params={"status": "closed", "result": "person_found_safe", **window},
            )
        )
        assert {i["ref"] for i in found_safe["incidents"]} == {welfare, missing}
        cancelled = await ok(
            await supervisor.get("/v1/incidents", params={"status": "cancelled", **window})
        )
        assert [i["ref"] for i in cancelled["incidents"]] == [duplicate]
        theft_log = (await incident(supervisor, theft))["chronology"]
        assert {"incident_created", "remark", "incident_closed"} <= {e["type"] for e in theft_log}
        assert any(e.get("from_ref") == theft for e in theft_log)  # the divert, from here
        moved = await ok(await supervisor.get(f"/v1/units/{theft_unit}/history"))
        assert {theft, missing} <= {e["ref"] for e in moved["entries"]}
        by_dispatcher = await ok(
            await supervisor.get("/v1/audit", params={"actor": "user:DP202(dispatcher)"})
        )
        kinds = {e["kind"] for e in by_dispatcher["entries"]}
        assert {"unit_assigned", "unit_status", "incident_closed"} <= kinds

        # Counted in the KPI report: three incidents graded I or S, all attended within target.
        report = await ok(
            await supervisor.get("/v1/reports/kpis", params={"area": "CW", "by": "day", **window})
        )
        groups = {g["grade"]: g for g in report["groups"]}
        assert (groups["I"]["incidents"], groups["S"]["incidents"]) == (2, 1)
        assert groups["I"]["within_target_pct"] == groups["S"]["within_target_pct"] == 100.0
        as_csv = await supervisor.get(
            "/v1/reports/kpis", params={"area": "CW", "format": "csv", **window}
        )
        assert as_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert sorted(r["grade"] for r in rows if r["grade"] in ("I", "S")) == ["I", "S"]
