"""The map's alarm list in real headless Chromium, from the service's own scan: an alarm
raised before the page opens is listed, one raised later appears, and each leaves the list
when its condition ends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser

from cad.settings import Settings
from tests.helpers import auth_headers, bearer


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A pending incident alarms within a second: the service scans five times a second."""
    return settings.model_copy(update={"queue_alarm_age_s": 0.3, "alarm_scan_interval_s": 0.2})


def waiting_call(call_id: str, grade: str, east: float) -> dict[str, Any]:
    """A call with no unit to send: it waits in the queue."""
    return {
        "call_id": call_id, "received_at": datetime.now(UTC).isoformat(), "source": "101",
        "location": {"lon": -0.1281 + east, "lat": 51.5080}, "incident_type": "theft_report",
        "grade": grade,
    }  # fmt: skip


async def test_the_alarm_list_follows_alarms_live(
    live_url: str, browser: Browser, settings: Settings
) -> None:
    async with httpx.AsyncClient(
        base_url=live_url, timeout=5, headers=auth_headers(settings)
    ) as api:
        first = await api.post("/v1/calls", json=waiting_call("b-1", "I", 0.0))
        assert first.status_code == 201, first.text
        ref = first.json()["incident"]["incident"]["ref"]
        page = await browser.new_page(viewport={"width": 1600, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(f"{live_url}/#token={bearer(settings)}")
        await page.wait_for_function("window.cadLive && window.cadLive.ready", timeout=15_000)
        await page.wait_for_function("document.getElementById('link').textContent === 'live'")
        # An Immediate incident waiting: critical.
        await page.wait_for_selector("#alarms li.alarm.critical", timeout=10_000)
        assert ref in await page.inner_text("#alarms")
        second = await api.post("/v1/calls", json=waiting_call("b-2", "E", 0.05))
        assert second.status_code == 201, second.text
        await page.wait_for_selector("#alarms li.alarm.warning", timeout=10_000)
        assert await page.inner_text("#alarm-count") == "2"
        cancel = await api.post(f"/v1/incidents/{ref}/cancel", json={"note": "x"})
        assert cancel.status_code == 200, cancel.text
        await page.wait_for_function(
            "document.querySelectorAll('#alarms li.alarm').length === 1", timeout=10_000
        )
        assert ref not in await page.inner_text("#alarms")
        assert errors == []
        await page.close()
