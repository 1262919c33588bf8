"""Changes to an incident Redis no longer holds (archived, then purged): a remark and a
supervisor's result amendment still land, through the audit stream, in the history store, and
the amendment window is the same as for a live one."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.keys import GlobalKeys
from cad.settings import Settings
from cad.tokens import Role
from service.runtime import Runtime
from tests.helpers import asgi_client, auth_headers
from tests.history.making import open_incident


async def _archive(app: FastAPI) -> None:
    runtime: Runtime = app.state.runtime
    assert runtime.archiver is not None
    await runtime.archiver.archive_once()


async def _closed_and_purged(app: FastAPI, client: httpx.AsyncClient, redis: Redis) -> str:
    ref = await open_incident(client, "arch-1")
    closed = await client.post(f"/v1/incidents/{ref}/close", json={"code": "no_trace"})
    assert closed.status_code == 200, closed.text
    await _archive(app)  # copied
    await _archive(app)  # purged (no grace here)
    assert await redis.hget(GlobalKeys().incident_area, ref) is None
    return ref


async def test_a_remark_and_an_amended_result_reach_an_archived_incident(
    history_app: FastAPI, history_client: httpx.AsyncClient, history_settings: Settings,
    redis: Redis,
) -> None:  # fmt: skip
    ref = await _closed_and_purged(history_app, history_client, redis)
    remark = await history_client.post(
        f"/v1/incidents/{ref}/log", json={"text": "owner found the bike at the station"}
    )
    assert remark.status_code == 201, remark.text
    async with asgi_client(history_app, auth_headers(history_settings, Role.DISPATCHER)) as other:
        refused = await other.post(
            f"/v1/incidents/{ref}/result", json={"code": "resolved", "reason": "bike found"}
        )
        assert refused.status_code == 403
    amended = await history_client.post(
        f"/v1/incidents/{ref}/result", json={"code": "resolved", "reason": "bike found"}
    )
    assert amended.status_code == 200, amended.text
    assert (amended.json()["previous"], amended.json()["incident"]["close_code"]) == (
        "no_trace", "resolved",
    )  # fmt: skip
    # An archived incident is judged by its stored record: the next amendment after the next
    # round of the archiver (every CAD_ARCHIVE_INTERVAL_S).
    await _archive(history_app)
    assert (await history_client.get(f"/v1/incidents/{ref}")).json()["incident"][
        "close_code"
    ] == "resolved"
    again = await history_client.post(
        f"/v1/incidents/{ref}/result", json={"code": "no_trace", "reason": "changed my mind"}
    )
    assert again.status_code == 200, again.text
    await _archive(history_app)
    detail = (await history_client.get(f"/v1/incidents/{ref}")).json()
    assert detail["incident"]["close_code"] == "no_trace"  # the latest amendment wins
    kinds = [e["type"] for e in detail["chronology"]]
    assert kinds.count("result_amended") == 2
    assert "remark" in kinds
    found = await history_client.get(
        "/v1/incidents", params={"status": "closed", "result": "no_trace"}
    )
    assert [i["ref"] for i in found.json()["incidents"]] == [ref]
    # Archived twice over changes nothing: the amendment is applied once, as the rows are.
    await _archive(history_app)
    assert (await history_client.get(f"/v1/incidents/{ref}")).json()["incident"][
        "close_code"
    ] == "no_trace"


async def test_an_archived_result_past_the_window_is_not_amended(
    history_app: FastAPI, history_client: httpx.AsyncClient, redis: Redis
) -> None:
    ref = await _closed_and_purged(history_app, history_client, redis)
    runtime: Runtime = history_app.state.runtime
    window_s = runtime.settings.result_amend_window_s
    runtime.settings = runtime.settings.model_copy(update={"result_amend_window_s": 0})
    try:
        await asyncio.sleep(0.01)
        late = await history_client.post(
            f"/v1/incidents/{ref}/result", json={"code": "resolved", "reason": "too late"}
        )
    finally:
        runtime.settings = runtime.settings.model_copy(update={"result_amend_window_s": window_s})
    assert late.status_code == 409, late.text
    assert "amendment window" in late.json()["detail"]
    unknown = await history_client.post(
        "/v1/incidents/CAD 9999/01JAN26/log", json={"text": "nobody"}
    )
    assert unknown.status_code == 404
