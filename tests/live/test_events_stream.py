"""GET /v1/events over a real HTTP connection: audit entries of every area, resumed without gaps."""

from __future__ import annotations

import httpx
import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys
from cad.settings import Settings
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from service.live import cursor
from tests.helpers import auth_headers
from tests.live.sse_client import audit_entries


async def register(redis: Redis, scripts: DispatchScripts, callsign: str, area: str) -> None:
    unit = Unit(callsign=callsign, area=area, base_lon=-0.13, base_lat=51.51)
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")


async def ids(redis: Redis, area: str) -> list[str]:
    return [entry_id for entry_id, _ in await redis.xrange(AreaKeys(area).audit)]


@pytest.mark.topologies("single", "cluster")
async def test_a_reconnect_resumes_after_the_last_event_without_gaps_or_repeats(
    live_url: str, settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    for n, area in enumerate(["CW", "CN", "CW", "CN", "CW"]):
        await register(redis, scripts, f"{area}{n}", area)
    cw, cn = await ids(redis, "CW"), await ids(redis, "CN")
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as client:
        # A client that had seen the first entry of each area gets exactly the rest.
        seen = cursor.encode({"CW": cw[0], "CN": cn[0]})
        rest, last = await audit_entries(client, 3, headers={"Last-Event-ID": seen})
        assert sorted(e["id"] for e in rest) == sorted([*cw[1:], *cn[1:]])
        assert {e["callsign"] for e in rest} == {"CN3", "CW2", "CW4"}
        assert all(e["unit"]["callsign"] == e["callsign"] for e in rest)
        assert last is not None
        assert cursor.decode(last) == {"CW": cw[-1], "CN": cn[-1]}
        # Changes while the client is away arrive on reconnect, and nothing before them does.
        for n, area in enumerate(["CN", "CW", "WE"]):
            await register(redis, scripts, f"{area}x{n}", area)
        missed, _ = await audit_entries(client, 3, headers={"Last-Event-ID": last})
        # Across areas ids are not comparable: each stream keeps its own order.
        assert sorted(e["callsign"] for e in missed) == ["CNx0", "CWx1", "WEx2"]
        # WE is new to this client (not in its cursor): read from its start.
        assert {e["area"] for e in missed} == {"CN", "CW", "WE"}


async def test_from_starts_where_a_snapshot_left_off(
    live_url: str, settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    await register(redis, scripts, "CW1", "CW")
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as client:
        snapshot = (await client.get("/v1/live/snapshot")).json()
        assert [u["callsign"] for u in snapshot["units"]] == ["CW1"]
        await register(redis, scripts, "CW2", "CW")
        frm = cursor.encode(snapshot["cursor"])
        entries, _ = await audit_entries(client, 1, params={"from": frm})
    assert [e["callsign"] for e in entries] == ["CW2"]


async def test_a_malformed_cursor_is_a_422_naming_the_field_and_the_problem(
    live_url: str, settings: Settings
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as client:
        bad = await client.get("/v1/events", headers={"Last-Event-ID": "CW=yesterday"})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["header", "last-event-id"]
        assert "is not AREA=MS-SEQ" in bad.json()["detail"][0]["msg"]
        # Checked even when Last-Event-ID is there to win over it.
        both = await client.get(
            "/v1/events", params={"from": "CW=1-0 "}, headers={"Last-Event-ID": "CW=1-0"}
        )
        assert both.json()["detail"][0]["loc"] == ["query", "from"]
        worse = await client.get("/v1/events", params={"from": "x" * 5000})
        assert worse.status_code == 422
