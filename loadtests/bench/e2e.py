"""Scenario 4: call event to tasking at the MDT, end to end, against the bare pipeline.

At each offered rate the service runs while the whole fleet reports AVL every second; the bare
pipeline (MQTT in, one bare Lua claim, MQTT out) runs the same calls at the same rate. A burst
(every call at once) then measures capacity: the dispatch throughput ratio. After every service
run the MDTs stand their units down, and the run is reconciled from Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from loadtests.bench.calls import BenchCall, bench_calls
from loadtests.bench.context import Context, bench_root
from loadtests.bench.fleet import available_count
from loadtests.bench.procs import Child, run_child
from loadtests.bench.reconcile import reconcile
from loadtests.bench.results import Scenario, merge_reconciliations
from loadtests.bench.stats import Figures, figures, median_of

BARE_KEYS = ("bench:{BP}:available", "bench:{BP}:status")
_AVL_WARM_S = 0.2
_SETTLE_S = 15.0
# After a scenario, the service gets this long to work through a backlog before calls count lost.
_BACKLOG_S = 60.0
P99_TARGET_MS = 5.0
THROUGHPUT_TARGET = 0.5


async def _reset_bare_fleet(ctx: Context) -> None:
    await ctx.redis.delete(*BARE_KEYS)
    rows = [v for u in ctx.fleet for v in (u.lon, u.lat, u.callsign)]
    for i in range(0, len(rows), 3000):
        await ctx.redis.geoadd(BARE_KEYS[0], rows[i : i + 3000])


async def _wait_fleet_free(ctx: Context) -> int:
    """Until every unit is available again (or the count stops rising); the count."""
    deadline = time.monotonic() + _SETTLE_S
    last, count = -1, 0
    while time.monotonic() < deadline:
        count = await available_count(ctx.redis, ctx.fleet)
        if count == len(ctx.fleet) or count == last:
            return count
        last = count
        await asyncio.sleep(0.2)
    return count


async def _load(ctx: Context, root: str, n: int, rate: float, stand_down: bool) -> dict[str, Any]:
    config = {
        "url": ctx.generators.next().url, "root": root, "prefix": f"c{uuid.uuid4().hex[:8]}",
        "seed": ctx.seed + n, "calls": n, "rate": rate, "stand_down": stand_down,
    }  # fmt: skip
    result = await run_child("loadtests.bench.mqtt_load", config, timeout_s=60 + n / 100)
    result["config"] = config
    return result


def _figures(result: dict[str, Any]) -> Figures:
    return figures(result["latencies_ms"], result["elapsed_s"], cpu_pct=result["cpu_pct"])


async def _service_run(
    ctx: Context, n: int, rate: float, *, ledger: _Ledger | None, with_avl: bool = False
) -> tuple[Figures, float]:
    """One service run, reconciled into the ledger: figures, and the AVL generator's CPU."""
    avl = None
    if with_avl:
        avl_config = {
            "url": ctx.generators.next().url,
            "root": ctx.root,
            "fleet": ctx.fleet_rows(),
            "rate": 1.0,
        }
        avl = await Child.start("loadtests.bench.avl_load", avl_config)
        await asyncio.sleep(_AVL_WARM_S)
    since_ms = int(time.time() * 1000) - 1
    result = await _load(ctx, ctx.root, n, rate, stand_down=True)
    avl_cpu = (await avl.finish(30))["cpu_pct"] if avl else 0.0
    cfg = result["config"]
    calls = bench_calls(cfg["prefix"], n, cfg["seed"])
    check = (await reconcile(ctx.redis, calls, since_ms)).as_dict()
    check["calls_on_two_incidents"] = result["calls_on_two_incidents"]
    check["untasked_calls"] = n - result["tasked_calls"]
    check["fleet_available_after"] = await _wait_fleet_free(ctx)
    if ledger is not None:
        ledger.batches.append((calls, since_ms))
        ledger.checks.append(check)
    return _figures(result), avl_cpu


async def _bare_run(ctx: Context, bare_root: str, n: int, rate: float) -> Figures:
    await _reset_bare_fleet(ctx)
    return _figures(await _load(ctx, bare_root, n, rate, stand_down=False))


@contextlib.asynccontextmanager
async def _bare_pipeline(ctx: Context) -> AsyncIterator[str]:
    """The bare dispatch pipeline in its own process; yields its topic root."""
    root = bench_root(f"bench-bare-{uuid.uuid4().hex[:6]}")
    bare = await Child.start(
        "loadtests.bench.bare_pipeline",
        {
            "mode": "dispatch", "url": ctx.generators.next().url, "root": root,
            "redis_url": ctx.redis_url, "keys": BARE_KEYS, "radii": "1000,3000,8000,20000,60000",
        },
    )  # fmt: skip
    try:
        await bare.line(30)  # ready
        yield root
    finally:
        await bare.stop()


@dataclass
class _Ledger:
    """Every call of a scenario, per run, and what each run's own reconciliation found."""

    batches: list[tuple[list[BenchCall], int]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    async def settle(self, ctx: Context) -> dict[str, Any]:
        """Once the service's backlog has cleared: a call still not recorded is lost."""
        deadline = time.monotonic() + _BACKLOG_S
        last = -1
        while True:
            found = [await reconcile(ctx.redis, calls, since) for calls, since in self.batches]
            lost = [c for f in found for c in f.lost]
            if not lost or len(lost) == last or time.monotonic() > deadline:
                break
            last = len(lost)
            await asyncio.sleep(2.0)
        total = merge_reconciliations(self.checks)
        # A run's own check counts the calls not yet recorded when it ended as late, not lost.
        total["late_at_run_end"] = total.pop("lost", 0)
        total["lost"] = len(lost)
        # The runs' audit windows overlap (each reads to the end): count each finding once.
        doubles = sorted({d for f in found for d in f.double_dispatches})
        total["double_dispatches"] = len(doubles)
        total["examples"] = (lost + doubles)[:5]
        return total


async def run_burst(ctx: Context) -> Scenario:
    """Scenario 4b: every call at once, AVL off; the throughput ratio to the bare pipeline."""
    scenario = Scenario("4b", "dispatch throughput, burst (AVL off)")
    ledger = _Ledger()
    async with _bare_pipeline(ctx) as bare_root:
        await _service_run(ctx, 20, 500.0, ledger=None)  # warm-up: scripts, caches, sockets
        await _bare_run(ctx, bare_root, 20, 500.0)
        svc, base = [], []
        for _ in range(ctx.plan.runs):
            svc.append((await _service_run(ctx, ctx.plan.burst_calls, 0.0, ledger=ledger))[0])
            base.append(await _bare_run(ctx, bare_root, ctx.plan.burst_calls, 0.0))
    scenario.measured, scenario.baseline = median_of(svc), median_of(base)
    scenario.target = f"throughput >= {THROUGHPUT_TARGET}x the bare pipeline"
    ratio = scenario.ratio
    scenario.met = ratio is not None and ratio >= THROUGHPUT_TARGET
    return _reconciled_verdict(scenario, await ledger.settle(ctx))


async def run_latency(ctx: Context) -> Scenario:
    """Scenario 4a: call-to-tasking per offered rate while the whole fleet reports AVL."""
    scenario = Scenario("4a", "call event -> tasking at the MDT (AVL on)")
    ledger = _Ledger()
    avl_cpus: list[float] = []
    async with _bare_pipeline(ctx) as bare_root:
        for rate in ctx.plan.rates:
            n = int(rate * ctx.plan.rate_run_s)
            svc, base = [], []
            for _ in range(ctx.plan.runs):
                figs, avl_cpu = await _service_run(ctx, n, rate, ledger=ledger, with_avl=True)
                svc.append(figs)
                avl_cpus.append(avl_cpu)
                base.append(await _bare_run(ctx, bare_root, n, rate))
            scenario.points.append(
                {"offered": rate, "service": median_of(svc).as_dict(),
                 "baseline": median_of(base).as_dict()}
            )  # fmt: skip
            scenario.measured, scenario.baseline = median_of(svc), median_of(base)
    top = max(ctx.plan.rates)
    scenario.target = (
        f"p99 <= {P99_TARGET_MS} ms at {top:.0f} calls/s, {len(ctx.fleet)} units AVL 1/s"
    )
    if scenario.measured is not None:
        scenario.met = scenario.measured.count > 0 and scenario.measured.p99_ms <= P99_TARGET_MS
    scenario.extra["generator_cpu_pct"] = avl_cpus
    scenario.extra["avl_units"] = len(ctx.fleet)
    return _reconciled_verdict(scenario, await ledger.settle(ctx))


def _reconciled_verdict(scenario: Scenario, check: dict[str, Any]) -> Scenario:
    scenario.reconciliation = check
    if check["lost"] or check["double_dispatches"]:
        scenario.met = False
    if check.get("late_at_run_end"):
        scenario.notes.append(
            f"{check['late_at_run_end']} calls were not yet recorded when their run ended "
            "(the service was still working through its backlog)"
        )
    return scenario
