"""The operator console in Debian's headless Chromium, by keyboard only: a call taken by place
name, graded, dispatched, the unit clears (its MDT over MQTT), the result, closed, and found in
the history store (PostgreSQL, filled by the service's own archiver)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page

from cad.events import StatusReport, UnitStatus
from cad.settings import Settings
from cad.tokens import Role
from cad.topics import Topics
from service.live.streets import streets_geojson
from tests.helpers import auth_headers, bearer, mqtt_client

ROLES = (Role.CALL_HANDLER, Role.DISPATCHER, Role.SUPERVISOR)
WAIT_MS = 15_000


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """The session's settings with this test's database, archived at once by the service."""
    return settings.model_copy(
        update={
            "database_url": database_url,
            "archive_in_service": True,
            "archive_interval_s": 0.5,
            "archive_keep_audit_s": 0.0,
            "archive_incident_grace_s": 0.0,
        }
    )


async def status_text(page: Page) -> str:
    return (await page.text_content("#inc-result")) or ""


async def report(settings: Settings, status: UnitStatus, ref: str) -> None:
    """What the crew's MDT publishes: a status report over MQTT."""
    message = StatusReport(status=status, ts=datetime.now(UTC), incident_ref=ref)
    async with mqtt_client(settings, "mdt-cw10") as mdt:
        await mdt.publish(
            Topics(settings.topic_root).status("CW10"), message.model_dump_json().encode(), qos=1
        )


async def test_a_call_taken_dispatched_closed_and_found_by_keyboard_only(
    live_url: str, browser: Browser, settings: Settings, artifacts: Path
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as api:
        unit = {"callsign": "CW10", "area": "CW", "base_lon": -0.1300, "base_lat": 51.5100}
        assert (await api.post("/v1/units", json=unit)).status_code == 201
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    await page.goto(f"{live_url}/console#token={bearer(settings, *ROLES)}")
    await page.wait_for_function("window.cadLive && cadLive.ready", timeout=WAIT_MS)
    await page.wait_for_function("document.getElementById('link').textContent === 'live'")
    kb = page.keyboard
    # The streets are ours: every road of the Westminster graph, drawn as vectors.
    roads = json.loads(streets_geojson())["features"]
    assert await page.evaluate("cadLive.streetsDrawn") == sum(
        len(f["geometry"]["coordinates"]) for f in roads
    )

    # New call: the place by name, picked from the list with the keyboard.
    await kb.press("Alt+1")
    assert await page.evaluate("document.activeElement.id") == "place"
    await kb.type("Trafalgar Squ")
    await page.wait_for_selector("#place-list [role=option]", timeout=WAIT_MS)
    await kb.press("Enter")
    await page.wait_for_function("cadLive.pin && cadLive.pin.radius_m === 50")
    await kb.press("Tab")  # the AML radius
    await kb.press("Control+A")
    await kb.type("80")
    await page.wait_for_function("cadLive.pin.radius_m === 80")
    await kb.press("Tab")  # source: 999
    await kb.press("Tab")  # incident type
    await kb.type("theft_report")
    assert await page.input_value("#ctype") == "theft_report"
    for _ in range(6):  # threat, harm, risk, and the three THRIVE questions: left as they are
        await kb.press("Tab")
    await kb.press("Tab")  # grade
    await kb.type("E")
    assert await page.input_value("#cgrade") == "E"
    await kb.press("Tab")
    await kb.type("handler agrees: no threat")
    await kb.press("Control+Enter")
    await page.wait_for_function(
        "/created CAD .* grade E/.test(document.getElementById('call-result').textContent)",
        timeout=WAIT_MS,
    )
    created = (await page.text_content("#call-result")) or ""
    ref = created.removeprefix("created ").split(",")[0]
    assert await page.evaluate("document.activeElement.id") == "inc-title"
    await page.wait_for_function(f"cadLive.incidents.get({ref!r})?.queue_score != null")
    await page.wait_for_selector("#adv-chosen li b", timeout=WAIT_MS)
    assert await page.text_content("#adv-chosen li b") == "CW10"

    # Dispatch the recommendation; the unit's crew goes on scene and clears from its MDT.
    await kb.press("Alt+D")
    await page.wait_for_function("cadLive.units.get('CW10').status === 'assigned'", timeout=WAIT_MS)
    assert "dispatched CW10" in await status_text(page)
    await report(settings, UnitStatus.ON_SCENE, ref)
    await page.wait_for_function("document.getElementById('inc-clock').textContent === 'attended'")
    await report(settings, UnitStatus.AVAILABLE, ref)
    await page.wait_for_function(
        f"cadLive.incidents.get({ref!r})?.status === 'awaiting_result'", timeout=WAIT_MS
    )

    # The result, and closed.
    await kb.press("Alt+C")
    await kb.type("arrest")
    assert await page.input_value("#close-code") == "arrest"
    await kb.press("Tab")
    await kb.type("one arrested at the scene")
    await kb.press("Enter")
    await page.wait_for_function(
        "/closed: arrest/.test(document.getElementById('inc-result').textContent)", timeout=WAIT_MS
    )
    await page.wait_for_function(f"!cadLive.incidents.has({ref!r})", timeout=WAIT_MS)
    chronology = (await page.text_content("#chronology")) or ""
    for step in ("incident_created", "incident_graded", "unit_assigned", "incident_closed"):
        assert step in chronology
    await page.screenshot(path=str(artifacts / "console-incident.png"))

    # Found in history: the archiver moved it to PostgreSQL; searched by its words.
    await kb.press("Alt+5")
    assert await page.evaluate("document.activeElement.id") == "h-q"
    found = ""
    for _ in range(30):
        await kb.press("Control+A")
        await kb.type("arrested")
        await kb.press("Enter")
        await page.wait_for_function(
            "/found/.test(document.getElementById('history-result').textContent)"
        )
        found = (await page.text_content("#history")) or ""
        if ref in found:
            break
        await page.wait_for_timeout(500)
    assert ref in found
    assert "arrest" in found
    assert not [u for u in requests if not u.startswith(live_url)], "the console went off-box"
    assert errors == []
    await page.close()
