"""The history routes through the real app, against real Redis and PostgreSQL: the archived
incidents' search and its pages, a unit's history, the audit trail (supervisors only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cad.settings import Settings
from cad.tokens import Role
from history.queries import AuditFilter, BadCursorError, search_audit
from history.store import HistoryStore
from service.runtime import Runtime
from tests.helpers import asgi_client, auth_headers
from tests.history.making import call_body, open_incident, refer


async def _archive(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    assert runtime.archiver is not None
    await runtime.archiver.archive_once()


async def _close(client: httpx.AsyncClient, ref: str, code: str, note: str = "") -> None:
    response = await client.post(f"/v1/incidents/{ref}/close", json={"code": code, "note": note})
    assert response.status_code == 200, response.text


async def _search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/incidents", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _refs(page: dict[str, Any]) -> list[str]:
    return [i["ref"] for i in page["incidents"]]


async def test_search_filters_and_pages_archived_incidents(
    history_app: FastAPI, history_client: httpx.AsyncClient
) -> None:
    c = history_client
    lost = [
        await open_incident(c, f"lp{n}", kind="lost_property", east_m=3_000 * n, grade=grade)
        for n, grade in ((0, "R"), (1, "E"))
    ]
    theft = await open_incident(c, "th0", kind="theft_report", east_m=9_000)
    asb = await open_incident(c, "asb0", kind="asb", east_m=12_000)
    still_open = await open_incident(c, "open0", kind="asb", east_m=15_000)
    await _close(c, lost[0], "advice_given", "wallet handed in at the station")
    await _close(c, lost[1], "resolved")
    await refer(c, theft, "to Action Fraud")
    cancelled = await c.post(f"/v1/incidents/{asb}/cancel", json={"note": "caller rang back"})
    assert cancelled.status_code == 200, cancelled.text
    await _archive(history_app)

    every = await _search(c, status="archived")
    assert sorted(_refs(every)) == sorted([*lost, theft, asb])
    assert still_open not in _refs(every)
    # Newest first: refs of one day rise with time.
    assert _refs(every) == sorted(_refs(every), reverse=True)
    assert sorted(_refs(await _search(c, status="closed"))) == sorted(lost)
    assert _refs(await _search(c, status="referred")) == [theft]
    assert _refs(await _search(c, status="cancelled")) == [asb]
    assert _refs(await _search(c, status="archived", type="theft_report")) == [theft]
    assert _refs(await _search(c, status="closed", result="advice_given")) == [lost[0]]
    assert _refs(await _search(c, status="archived", grade="R")) == [lost[0]]
    assert _refs(await _search(c, status="archived", q="wallet")) == [lost[0]]
    assert _refs(await _search(c, status="archived", q="action fraud")) == [theft]
    area = every["incidents"][0]["area"]
    in_area = [i["ref"] for i in every["incidents"] if i["area"] == area]
    assert _refs(await _search(c, status="archived", area=area)) == in_area
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert _refs(await _search(c, status="archived", to=hour_ago)) == []
    assert len(_refs(await _search(c, status="archived", **{"from": hour_ago}))) == 4

    # Pages of one, by cursor: every archived incident once, in the same order.
    seen: list[str] = []
    params: dict[str, Any] = {"status": "archived", "limit": 1}
    while True:
        page = await _search(c, **params)
        seen += _refs(page)
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == _refs(every)

    bad = await c.get("/v1/incidents", params={"status": "closed", "cursor": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "cursor"]
    # The open list is as it was.
    open_list = await c.get("/v1/incidents")
    assert open_list.status_code == 200
    assert still_open in [v["incident"]["ref"] for v in open_list.json()["incidents"]]


async def test_a_unit_s_history_and_the_audit_by_actor(
    history_app: FastAPI, history_client: httpx.AsyncClient, history_settings: Settings
) -> None:
    c = history_client
    unit = {"callsign": "CW20", "area": "CW", "base_lon": -0.13, "base_lat": 51.51}
    assert (await c.post("/v1/units", json=unit)).status_code in (200, 201)
    await c.post("/v1/units/CW20/avl", json={"lon": -0.1282, "lat": 51.5081})
    sent = await c.post("/v1/calls", json=call_body("u1", kind="theft_report"))
    assert sent.status_code == 201
    other = await open_incident(c, "u2", kind="lost_property", east_m=6_000)
    supervisor = auth_headers(history_settings, Role.SUPERVISOR, subject="PS0777")
    async with asgi_client(history_app, supervisor) as sup:
        await refer(sup, other, "to the council")
        await _archive(history_app)

        history = await c.get("/v1/units/CW20/history")
        assert history.status_code == 200, history.text
        entries = history.json()["entries"]
        assert entries
        assert {e["callsign"] for e in entries} == {"CW20"}
        assert "unit_registered" in {e["kind"] for e in entries}
        times = [e["ts"] for e in entries]
        assert times == sorted(times, reverse=True)

        mine = await sup.get("/v1/audit", params={"actor": "PS0777"})
        assert mine.status_code == 200, mine.text
        kinds = [e["kind"] for e in mine.json()["entries"]]
        assert kinds == ["incident_referred"]
        assert mine.json()["entries"][0]["ref"] == other
        about = await sup.get("/v1/audit", params={"ref": other})
        assert {e["ref"] for e in about.json()["entries"]} == {other}
        assert len(about.json()["entries"]) >= 2
        paged = await sup.get("/v1/audit", params={"limit": 1})
        assert paged.json()["next_cursor"] is not None
        rest = await sup.get(
            "/v1/audit", params={"limit": 1, "cursor": paged.json()["next_cursor"]}
        )
        assert rest.json()["entries"][0]["id"] != paged.json()["entries"][0]["id"]

    for role in (Role.DISPATCHER, Role.CALL_HANDLER, Role.ADMIN):
        async with asgi_client(history_app, auth_headers(history_settings, role)) as http:
            refused = await http.get("/v1/audit")
            assert refused.status_code == 403, role
            assert (await http.get("/v1/units/CW20/history")).status_code == 200


async def test_without_a_database_url_history_answers_503_and_the_rest_works(
    app: FastAPI, settings: Settings
) -> None:
    assert settings.database_url is None
    async with asgi_client(app, auth_headers(settings)) as client:
        await _without_history(client)


async def _without_history(client: httpx.AsyncClient) -> None:
    for path, params in (
        ("/v1/audit", {}),
        ("/v1/units/CW20/history", {}),
        ("/v1/incidents", {"status": "closed"}),
    ):
        answer = await client.get(path, params=params)
        assert answer.status_code == 503, path
        assert answer.json()["dependency"] == "postgresql"
        assert "history store not configured" in answer.json()["detail"]
        assert "Retry-After" in answer.headers
    assert (await client.get("/v1/incidents")).status_code == 200
    assert (await client.get("/v1/incidents/CAD-19990101-0001")).status_code == 404


async def test_a_cursor_the_store_did_not_hand_out_is_refused(store: HistoryStore) -> None:
    async with store.connection() as conn:
        with pytest.raises(BadCursorError):
            await search_audit(conn, AuditFilter(), limit=1, cursor="1.CW")
        page, next_cursor = await search_audit(conn, AuditFilter(), limit=1, cursor=None)
    assert (page, next_cursor) == ([], None)
