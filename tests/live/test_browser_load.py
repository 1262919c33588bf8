"""The map with 5,000 units and 500 open incidents: load time, frame gaps and update cost."""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser
from redis.asyncio import Redis

from cad.events import AvlFix, UnitStatus
from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from dispatch.avl import PositionFix, queue_fixes
from dispatch.scripts import DispatchScripts
from dispatch.unit_status import apply_status
from dispatch.units import Unit, register_unit
from geo import BCUS
from tests.helpers import bearer

UNITS, INCIDENTS, BURST = 5_000, 500, 1_000
WEST, SOUTH, EAST, NORTH = -0.45, 51.33, 0.25, 51.67
GRADES = ("I",) * 2 + ("S",) * 3 + ("E",) * 3 + ("R",) * 2
RANK = {"I": 0, "S": 1, "E": 2, "R": 3}
# Main-thread tasks over 50 ms: what a user would feel as the map freezing.
LONG_TASKS = """
  cadLive.stats.applyMs = []; cadLive.stats.renderMs = []; cadLive.stats.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) cadLive.stats.longTasks.push(e.duration);
  }).observe({ type: "longtask" });
"""


def spot(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(WEST, EAST), rng.uniform(SOUTH, NORTH)


async def seed_units(redis: Redis, scripts: DispatchScripts, rng: random.Random) -> list[Unit]:
    areas = sorted(BCUS)
    units = []
    now = datetime.now(UTC)
    for n in range(UNITS):
        lon, lat = spot(rng)
        units.append(Unit(callsign=f"U{n:04d}", area=areas[n % 12], base_lon=lon, base_lat=lat))
    for batch in range(0, UNITS, 50):
        await asyncio.gather(
            *(register_unit(redis, scripts, u, now_ms=1, actor="load") for u in units[batch:][:50])
        )
    # A few units have gone quiet: 3% with a stale fix, 1% silent long enough to count as lost.
    ages = [600.0 if n % 100 == 0 else 120.0 if n % 33 == 0 else 1.0 for n in range(UNITS)]
    await record_fixes(redis, [fix(u, u.base_lon, u.base_lat, now - timedelta(seconds=a))
                               for u, a in zip(units, ages, strict=True)])  # fmt: skip
    return units


async def record_fixes(redis: Redis, fixes: list[PositionFix]) -> None:
    """Write fixes as the AVL worker does, in one pipelined round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        queue_fixes(pipe, fixes)
        await pipe.execute()


def fix(unit: Unit, lon: float, lat: float, ts: datetime) -> PositionFix:
    received_ms = int(time.time() * 1000)
    return PositionFix(unit.area, unit.callsign, AvlFix(lon=lon, lat=lat, ts=ts), received_ms)


async def seed_incidents(redis: Redis, rng: random.Random) -> None:
    """Open incidents written in the dispatch core's own hash shape (fast and deterministic)."""
    now_ms = int(time.time() * 1000)
    areas = sorted(BCUS)
    async with redis.pipeline(transaction=False) as pipe:
        for n in range(INCIDENTS):
            area, grade = areas[n % 12], GRADES[n % len(GRADES)]
            ref, (lon, lat) = f"CAD {n + 1:04d}/LOAD", spot(rng)
            received = now_ms - rng.randint(0, 70 * 60_000)
            queued = grade in "ER" or n % 7 == 0
            keys = AreaKeys(area)
            pipe.hset(keys.incident(ref), mapping={
                "ref": ref, "area": area, "grade": grade, "incident_type": "load_test",
                "status": "pending" if queued else "dispatched", "source": "999",
                "lon": repr(lon), "lat": repr(lat), "received_ms": received,
                "created_ms": received + 2_000, "call_count": 1,
            })  # fmt: skip
            pipe.hset(GlobalKeys().incident_area, ref, area)
            pipe.geoadd(keys.open_incidents, (lon, lat, ref))
            if queued:
                pipe.zadd(keys.pending, {ref: RANK[grade] * 10**13 + received + 2_000})
        await pipe.execute()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values) or [0.0]
    return {
        "n": len(values),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max": round(ordered[-1], 2),
    }


async def test_the_map_stays_responsive_with_5000_units_and_500_incidents(
    live_url: str,
    settings: Settings,
    browser: Browser,
    redis: Redis,
    scripts: DispatchScripts,
    artifacts: Path,
) -> None:
    rng = random.Random(8)
    units = await seed_units(redis, scripts, rng)
    await seed_incidents(redis, rng)
    page = await browser.new_page(viewport={"width": 1600, "height": 900})
    await page.goto(f"{live_url}/#token={bearer(settings)}")
    await page.wait_for_function("window.cadLive && window.cadLive.ready", timeout=30_000)
    assert await page.evaluate("cadLive.units.size") == UNITS
    await page.wait_for_function(f"cadLive.unitLayer.drawn > {UNITS * 0.95}")
    assert await page.evaluate("cadLive.incidents.size") == INCIDENTS
    await page.wait_for_function("document.getElementById('link').textContent === 'live'")
    snapshot_ms = await page.evaluate("cadLive.stats.snapshotMs")
    states = await page.evaluate(
        "[...cadLive.units.values()]"
        ".reduce((n, u) => (n[u._state] = (n[u._state] || 0) + 1, n), {})"
    )
    assert states == {"ok": UNITS - 200, "stale": 150, "lost": 50}
    # Idle once the first draw has settled: only the clocks tick.
    await page.wait_for_timeout(1_000)
    await page.evaluate("cadLive.stats.frameGaps.splice(0)")
    await page.wait_for_timeout(1_500)
    idle_gaps = await page.evaluate("cadLive.stats.frameGaps.splice(0)")

    # A burst: 1,000 status changes through the dispatch core, and every unit moving at once.
    await page.evaluate(LONG_TASKS)
    started = time.perf_counter()
    now = datetime.now(UTC)
    moved = [fix(u, u.base_lon + 0.002, u.base_lat + 0.001, now) for u in units]
    await record_fixes(redis, moved)
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
    await page.wait_for_function(
        f"cadLive.units.get('U{UNITS - 1:04d}').lon > {units[-1].base_lon + 0.001}",
        timeout=15_000,
    )
    stats = await page.evaluate(
        "({gaps: cadLive.stats.frameGaps.splice(0), apply: cadLive.stats.applyMs,"
        " render: cadLive.stats.renderMs, draw: cadLive.unitLayer.lastDrawMs,"
        " long: cadLive.stats.longTasks, moves: cadLive.stats.movesMs})"
    )
    await page.screenshot(path=str(artifacts / "live-map-load.png"))
    await page.close()
    figures = {
        "units": UNITS,
        "open_incidents": INCIDENTS,
        "burst_status_changes": BURST,
        "snapshot_load_and_draw_ms": round(snapshot_ms, 1),
        "idle_frame_gap_ms": summary(idle_gaps),
        "burst_frame_gap_ms": summary(stats["gaps"]),
        "apply_per_event_ms": summary(stats["apply"]),
        "side_panel_render_ms": summary(stats["render"]),
        "unit_layer_draw_ms": round(stats["draw"], 1),
        "burst_long_tasks_ms": [round(t) for t in stats["long"]],
        "positions_event_ms": [round(t, 1) for t in stats["moves"]],
        "burst_to_last_applied_s": round(burst_s, 2),
    }
    (artifacts / "live-map-load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))
    # The page's own work per change stays well inside a frame. Frame gaps are reported, not
    # asserted: on a shared two-core machine they measure the neighbours as much as the page.
    # The bounds leave room for a busy machine; docs/live-map.md has the typical figures.
    assert figures["apply_per_event_ms"]["p95"] < 5, figures
    assert figures["side_panel_render_ms"]["p95"] < 50, figures
    assert stats["draw"] < 50, figures
    assert snapshot_ms < 5_000, figures
