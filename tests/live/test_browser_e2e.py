"""The map in real headless Chromium: boroughs, a unit and an incident, and a live dispatch."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page
from redis.asyncio import Redis

from cad.events import StatusReport, UnitStatus
from cad.keys import AreaKeys
from cad.settings import Settings
from cad.topics import Topics
from tests.helpers import auth_headers, bearer, mqtt_client

TRAFALGAR = (-0.1281, 51.5080)  # Westminster: BCU Central West


def theft_call(call_id: str) -> bytes:
    """An Extended call: it waits in the queue for a dispatcher."""
    event = {
        "call_id": call_id,
        "received_at": datetime.now(UTC).isoformat(),
        "source": "999",
        "location": {"lon": TRAFALGAR[0] + 0.004, "lat": TRAFALGAR[1], "radius_m": 30},
        "incident_type": "theft_report",
        "grade": "E",
    }
    return json.dumps(event).encode()


async def js(page: Page, expression: str) -> Any:
    return await page.evaluate(expression)


async def test_the_map_draws_london_and_follows_a_dispatch_live(
    live_url: str, browser: Browser, settings: Settings, redis: Redis, artifacts: Path
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as api:
        unit = {"callsign": "CW10", "area": "CW", "base_lon": -0.1300, "base_lat": 51.5100}
        assert (await api.post("/v1/units", json=unit)).status_code == 201
    page = await browser.new_page(viewport={"width": 1600, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{live_url}/#token={bearer(settings)}")
    await page.wait_for_function("window.cadLive && window.cadLive.ready", timeout=15_000)
    assert await js(page, "document.querySelectorAll('path.borough').length") == 33
    assert await js(page, "document.querySelectorAll('path.bcu').length") == 12
    await page.wait_for_function("cadLive.unitLayer.visible('CW10')")
    assert await js(page, "cadLive.units.get('CW10').status") == "available"
    await page.wait_for_function("document.getElementById('link').textContent === 'live'")

    # The incident arrives over MQTT after the page has loaded: it can only come by the stream.
    topics = Topics(settings.topic_root)
    async with mqtt_client(settings, "gateway") as gateway:
        await gateway.publish(topics.calls_in, theft_call("map-1"), qos=1)
    await page.wait_for_selector("#queue li[data-ref]", timeout=10_000)
    ref = await page.get_attribute("#queue li[data-ref]", "data-ref")
    assert ref is not None
    assert await redis.zscore(AreaKeys("CW").pending, ref) is not None
    assert await js(page, f"cadLive.incidents.get({ref!r}).grade") == "E"

    # A dispatcher selects it, reads the chronology and the recommendation, and accepts it.
    await page.click("#queue li[data-ref]")
    await page.wait_for_selector("#advice:not([hidden]) #advice-body li b", timeout=10_000)
    assert await page.text_content("#advice-body li b") == "CW10"
    assert "incident_created" in (await page.text_content("#chronology") or "")
    await page.click("#accept")
    await page.wait_for_function(
        f"cadLive.incidents.get({ref!r}).status === 'dispatched'"
        " && cadLive.units.get('CW10').status === 'assigned'",
        timeout=10_000,
    )
    await page.wait_for_function("document.querySelectorAll('#queue li[data-ref]').length === 0")
    assert "unit_assigned CW10" in (await page.text_content("#chronology") or "")
    assert "CW10" in (await page.text_content("#detail-units") or "")

    # The unit reports on scene from its MDT: the map, the chronology and the KPIs follow.
    report = StatusReport(status=UnitStatus.ON_SCENE, ts=datetime.now(UTC), incident_ref=ref)
    async with mqtt_client(settings, "mdt-cw10") as mdt:
        await mdt.publish(topics.status("CW10"), report.model_dump_json().encode(), qos=1)
    await page.wait_for_function("cadLive.units.get('CW10').status === 'on_scene'")
    assert "unit_status CW10 · on_scene" in (await page.text_content("#chronology") or "")
    await page.wait_for_function(
        "document.getElementById('kpi-d2a').textContent !== '–'"
        " && document.getElementById('kpi-calls').textContent === '1'",
        timeout=10_000,
    )
    await page.screenshot(path=str(artifacts / "live-map.png"))

    # Live means pushed: one snapshot and one event stream, and nothing fetched again and again.
    assert sum("/v1/live/snapshot" in url for url in requests) == 1
    assert sum("/v1/events" in url for url in requests) == 1
    assert await js(page, "cadLive.stats.events") >= 2
    assert not [u for u in requests if not u.startswith(live_url)], "the page went off-box"
    assert errors == []
    await page.close()
