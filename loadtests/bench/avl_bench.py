"""Scenario 6: AVL ingest, the service (its AVL workers) against a bare subscriber that only
counts, both in MQTT v3.1.1.

A generator floods `rounds` fixes from every unit; the service has ingested them when Redis holds
every unit's last fix (stamped with a marker time), the bare subscriber when it has counted them.
Both rates run from the generator's first publish (wall clock, one machine).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

from cad.keys import AreaKeys
from loadtests.bench.context import Context, bench_root
from loadtests.bench.procs import Child, run_child
from loadtests.bench.results import Scenario
from loadtests.bench.stats import Figures, median_of

_WAIT_S = 15.0
INGEST_RATIO_TARGET = 0.7


async def _landed(ctx: Context, marker_ms: int) -> bool:
    by_area: dict[str, list[str]] = {}
    for u in ctx.fleet:
        by_area.setdefault(u.area, []).append(u.callsign)
    for area, callsigns in by_area.items():
        fixes = await ctx.redis.hmget(AreaKeys(area).unit_fix, callsigns)
        if any(f != str(marker_ms) for f in fixes):
            return False
    return True


def _rate(sent: int, started_at: float, done_at: float, cpu: float) -> Figures:
    return Figures(
        sent / (done_at - started_at), float("nan"), float("nan"), float("nan"), sent, cpu
    )


async def _service_run(ctx: Context, marker_ms: int) -> Figures:
    config = {"url": ctx.generators.next().url, "root": ctx.root, "fleet": ctx.fleet_rows(),
              "rounds": ctx.plan.avl_rounds, "final_ts_ms": marker_ms}  # fmt: skip
    result = await run_child("loadtests.bench.avl_load", config, timeout_s=_WAIT_S)
    deadline = time.monotonic() + _WAIT_S
    while not await _landed(ctx, marker_ms):
        if time.monotonic() > deadline:
            # Some last fixes never landed (dropped): no honest rate, and the note says why.
            return _rate(0, 0.0, 1.0, result["cpu_pct"])
        await asyncio.sleep(0.01)
    return _rate(result["sent"], result["started_at"], time.time(), result["cpu_pct"])


async def _bare_run(ctx: Context, marker_ms: int) -> Figures:
    root = bench_root(f"bench-count-{uuid.uuid4().hex[:6]}")
    expect = ctx.plan.avl_rounds * len(ctx.fleet)
    counter = await Child.start(
        "loadtests.bench.bare_pipeline",
        {"mode": "count", "url": ctx.generators.next().url, "root": root, "expect": expect},
    )
    try:
        await counter.line(30)  # ready
        config = {"url": ctx.generators.next().url, "root": root, "fleet": ctx.fleet_rows(),
                  "rounds": ctx.plan.avl_rounds, "final_ts_ms": marker_ms}  # fmt: skip
        result = await run_child("loadtests.bench.avl_load", config, timeout_s=_WAIT_S)
        done = json.loads(await counter.line(_WAIT_S))
    finally:
        await counter.stop()
    return _rate(result["sent"], result["started_at"], done["done_at"], result["cpu_pct"])


async def run_avl(ctx: Context) -> Scenario:
    """Median ingest rate of the service and of the bare subscriber over the runs."""
    svc, base = [], []
    for run in range(ctx.plan.runs):
        # Distinct per run, and in the past: a unit's freshness never runs ahead of the time its
        # fix arrived (dispatch/avl.py), so a stamp from the future would be stored as another.
        marker_ms = int(time.time() * 1000) - 5000 - run
        svc.append(await _service_run(ctx, marker_ms))
        base.append(await _bare_run(ctx, marker_ms))
    scenario = Scenario("6", "AVL ingest vs a bare counting subscriber")
    scenario.measured, scenario.baseline = median_of(svc), median_of(base)
    scenario.target = f"throughput >= {INGEST_RATIO_TARGET}x the bare subscriber (issue 5)"
    scenario.met = (scenario.ratio or 0.0) >= INGEST_RATIO_TARGET
    scenario.notes.append(f"{ctx.plan.avl_rounds} fixes from each of {len(ctx.fleet)} units")
    failed = sum(1 for f in svc if f.count == 0)
    if failed:
        scenario.notes.append(
            f"{failed} of {len(svc)} service runs never stored every unit's last fix within "
            f"{_WAIT_S:.0f} s (fixes dropped); those runs count as 0/s"
        )
    return scenario
