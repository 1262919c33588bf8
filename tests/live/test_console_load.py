"""The console with 5,000 units and 500 open incidents, its units board on screen: load time,
frame gaps and the cost of each update, measured as the map's load test measures them (and
with its seeding: `tests/live/test_browser_load.py`)."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import Browser
from redis.asyncio import Redis

from cad.events import UnitStatus
from cad.settings import Settings
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from tests.helpers import bearer
from tests.live.test_browser_load import (
    BURST,
    INCIDENTS,
    LONG_TASKS,
    UNITS,
    fix,
    record_fixes,
    seed_incidents,
    seed_units,
    summary,
)


@pytest.mark.slow
async def test_the_console_stays_responsive_with_5000_units_and_500_incidents(
    live_url: str,
    settings: Settings,
    browser: Browser,
    redis: Redis,
    scripts: DispatchScripts,
    artifacts: Path,
) -> None:
    rng = random.Random(21)
    units = await seed_units(redis, scripts, rng)
    await seed_incidents(redis, rng)
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    await page.goto(f"{live_url}/console#token={bearer(settings)}")
    await page.wait_for_function("window.cadLive && cadLive.ready", timeout=30_000)
    assert await page.evaluate("cadLive.units.size") == UNITS
    assert await page.evaluate("cadLive.incidents.size") == INCIDENTS
    await page.wait_for_function("document.getElementById('link').textContent === 'live'")
    # The units board, the screen that most work per change: 200 rows re-rendered at most
    # every 300 ms, every row's time in status ticking each second.
    await page.keyboard.press("Alt+3")
    await page.wait_for_function("document.querySelectorAll('#units-body tr').length === 200")
    snapshot_ms = await page.evaluate("cadLive.stats.snapshotMs")
    await page.wait_for_timeout(1_000)
    await page.evaluate("cadLive.stats.frameGaps.splice(0)")
    await page.wait_for_timeout(1_500)
    idle_gaps = await page.evaluate("cadLive.stats.frameGaps.splice(0)")

    await page.evaluate(LONG_TASKS)
    started = time.perf_counter()
    now = datetime.now(UTC)
    await record_fixes(redis, [fix(u, u.base_lon + 0.002, u.base_lat + 0.001, now) for u in units])
    for u in units[:BURST]:
        change = await apply_status(
            redis, scripts, area=u.area, callsign=u.callsign, status=UnitStatus.BUSY,
            now_ms=int(time.time() * 1000), actor="load",
        )  # fmt: skip
        assert change.applied, change.reason
    await page.wait_for_function(
        f"[...cadLive.units.values()].filter(u => u.status === 'busy').length === {BURST}",
        timeout=30_000,
    )
    burst_s = time.perf_counter() - started
    # The board shows the change (its first rows are area CE's, among the first units changed).
    await page.wait_for_function(
        "/busy/.test(document.getElementById('units-body').textContent)", timeout=10_000
    )
    stats = await page.evaluate(
        "({gaps: cadLive.stats.frameGaps.splice(0), apply: cadLive.stats.applyMs,"
        " render: cadLive.stats.renderMs, draw: cadLive.unitLayer.lastDrawMs,"
        " long: cadLive.stats.longTasks, moves: cadLive.stats.movesMs})"
    )
    # Zoomed out to all London: every unit drawn in the one canvas pass.
    await page.evaluate("cadLive.map.setView([51.5, -0.12], 10) && null")
    await page.wait_for_function(f"cadLive.unitLayer.drawn > {UNITS * 0.95}", timeout=10_000)
    all_units_draw_ms = await page.evaluate("cadLive.unitLayer.lastDrawMs")
    await page.screenshot(path=str(artifacts / "console-load.png"))
    await page.close()
    figures = {
        "units": UNITS,
        "open_incidents": INCIDENTS,
        "burst_status_changes": BURST,
        "snapshot_load_and_draw_ms": round(snapshot_ms, 1),
        "idle_frame_gap_ms": summary(idle_gaps),
        "burst_frame_gap_ms": summary(stats["gaps"]),
        "apply_per_event_ms": summary(stats["apply"]),
        "screen_render_ms": summary(stats["render"]),
        "unit_layer_draw_ms": round(stats["draw"], 1),
        "all_units_draw_ms": round(all_units_draw_ms, 1),
        "burst_long_tasks_ms": [round(t) for t in stats["long"]],
        "positions_event_ms": [round(t, 1) for t in stats["moves"]],
        "burst_to_last_applied_s": round(burst_s, 2),
    }
    (artifacts / "console-load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))
    # As the map's test: the page's own work is asserted with room for a loaded machine; frame
    # gaps are reported (docs/console.md has the figures), they measure the neighbours too.
    assert figures["apply_per_event_ms"]["p95"] < 5, figures
    assert figures["screen_render_ms"]["p95"] < 100, figures
    assert stats["draw"] < 50, figures
    assert all_units_draw_ms < 100, figures
    assert snapshot_ms < 10_000, figures
