"""Screenshots of every console screen at 1400x900 on a small, busy Westminster scene. They go
to test-artifacts/console/; `CONSOLE_SCREENSHOTS_DIR=docs/console pytest tests/live/
test_console_screenshots.py` regenerates the ones in docs (docs/console.md shows them)."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from cad.settings import Settings
from tests.helpers import auth_headers, bearer

WAIT_MS = 15_000
KINDS = ["theft_report", "asb", "violence", "domestic", "burglary_in_progress", "public_order"]


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """Alarms within a second, and the history store archiving closed incidents at once."""
    return settings.model_copy(
        update={
            "queue_alarm_age_s": 0.3, "alarm_scan_interval_s": 0.2, "database_url": database_url,
            "archive_in_service": True, "archive_interval_s": 0.5, "archive_keep_audit_s": 0.0,
            "archive_incident_grace_s": 0.0,
        }
    )  # fmt: skip


def a_call(n: int, lon: float, lat: float, kind: str, grade: str) -> dict[str, Any]:
    return {
        "call_id": f"shot-{n}", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": lon, "lat": lat, "radius_m": 40 + 10 * (n % 5)},
        "incident_type": kind, "grade": grade,
    }  # fmt: skip


async def westminster(api: httpx.AsyncClient) -> str:
    """30 units around Westminster, 12 incidents (some sent, some queued), one closed."""
    rng = random.Random(21)
    for n in range(30):
        lon, lat = -0.128 + rng.uniform(-0.03, 0.02), 51.51 + rng.uniform(-0.015, 0.01)
        unit = {"callsign": f"CW{n + 10}", "area": "CW", "base_lon": lon, "base_lat": lat}
        assert (await api.post("/v1/units", json=unit)).status_code == 201
    closed = ""
    for n in range(12):
        grade = "ISEERS"[n % 6]
        body = a_call(n, -0.128 + rng.uniform(-0.025, 0.02), 51.51 + rng.uniform(-0.012, 0.008),
                      KINDS[n % len(KINDS)], grade)  # fmt: skip
        recorded = await api.post("/v1/calls", json=body)
        assert recorded.status_code == 201, recorded.text
        ref: str = recorded.json()["incident"]["incident"]["ref"]
        if n == 1:
            closed = ref
    # The second call (an S) had a unit sent at once: it arrives, clears, and a result closes it.
    detail = (await api.get(f"/v1/incidents/{closed}")).json()
    for callsign in detail["incident"]["units"]:
        for status in ("on_scene", "available"):
            answer = await api.post(f"/v1/units/{callsign}/status", json={"status": status})
            assert answer.status_code == 200, answer.text
    result = {"code": "arrest", "note": "one arrested"}
    shut = await api.post(f"/v1/incidents/{closed}/close", json=result)
    assert shut.status_code == 200, shut.text
    return closed


async def shoot(page: Page, folder: Path, name: str) -> None:
    await page.wait_for_timeout(400)  # the lists' and the map's next draw
    await page.screenshot(path=str(folder / f"{name}.png"))


async def test_screenshots_of_every_screen(
    live_url: str, browser: Browser, settings: Settings, artifacts: Path, repo_root: Path
) -> None:
    folder = repo_root / os.environ.get("CONSOLE_SCREENSHOTS_DIR", str(artifacts / "console"))
    folder.mkdir(parents=True, exist_ok=True)
    headers = auth_headers(settings)
    async with httpx.AsyncClient(base_url=live_url, timeout=10, headers=headers) as api:
        closed = await westminster(api)
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{live_url}/console#token={bearer(settings)}")
    await page.wait_for_function("window.cadLive && cadLive.ready", timeout=WAIT_MS)
    await page.wait_for_function("document.getElementById('link').textContent === 'live'")
    kb = page.keyboard

    await kb.press("Alt+1")
    await kb.type("Trafalgar Squ")
    await page.wait_for_selector("#place-list [role=option]", timeout=WAIT_MS)
    await kb.press("Enter")
    await kb.press("Tab")
    await kb.press("Control+A")
    await kb.type("120")
    await kb.press("Tab")
    await kb.press("Tab")
    await kb.type("violence")
    await kb.press("Tab")
    await kb.type("m")
    await page.wait_for_selector("#candidates li button", timeout=WAIT_MS)
    await shoot(page, folder, "call")

    await kb.press("Alt+2")
    await page.wait_for_selector("#inc-list button", timeout=WAIT_MS)
    await kb.press("Tab")
    await kb.press("Enter")  # the first of the list: the queue's most urgent
    await page.wait_for_selector("#adv-chosen li", timeout=WAIT_MS)
    await page.wait_for_selector("#chronology li", timeout=WAIT_MS)
    await shoot(page, folder, "incident")

    await kb.press("Alt+3")
    await page.wait_for_selector("#units-body tr", timeout=WAIT_MS)
    await shoot(page, folder, "units")

    await kb.press("Alt+4")
    await page.wait_for_selector("#alarm-list button[data-ack]", timeout=WAIT_MS)
    await shoot(page, folder, "alarms")

    await kb.press("Alt+5")
    await page.wait_for_selector("#kpi-body tr th", timeout=WAIT_MS)
    for _ in range(30):  # until the archiver has taken the closed incident to PostgreSQL
        await kb.press("Enter")
        await page.wait_for_timeout(500)
        if closed in ((await page.text_content("#history")) or ""):
            break
    assert closed in ((await page.text_content("#history")) or "")
    await shoot(page, folder, "supervisor")
    await page.close()
    assert sorted(p.name for p in folder.glob("*.png")) >= sorted(
        f"{name}.png" for name in ("alarms", "call", "incident", "supervisor", "units")
    )
