"""Scenario 4: call event to tasking at the MDT, end to end, against the bare pipeline.

4a finds the capacity of the service and of the bare pipeline (MQTT in, one bare Lua claim, MQTT
out) by stepping the offered call rate while the whole fleet reports AVL every second. 4b sends
every call at once (a burst) and compares dispatch throughput. After every service run the MDTs
stand their units down, and the run is reconciled from Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from loadtests.bench.calls import bench_calls
from loadtests.bench.capacity_search import Search, Step, find_capacity
from loadtests.bench.context import Context, bench_root
from loadtests.bench.fleet import available_count
from loadtests.bench.ledger import Ledger
from loadtests.bench.procs import Child, run_child
from loadtests.bench.reconcile import reconcile
from loadtests.bench.results import Scenario
from loadtests.bench.stats import Figures, figures, median_of

BARE_KEYS = ("bench:{BP}:available", "bench:{BP}:status")
_AVL_WARM_S = 0.2
_SETTLE_S = 15.0
# A step's p99 needs enough calls to mean something.
_MIN_STEP_CALLS = 50
# The capacity: the highest offered rate with p99 call-to-tasking within this.
CAPACITY_P99_MS = 100.0
CAPACITY_TARGET = 0.5
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


async def service_run(
    ctx: Context, n: int, rate: float, *, ledger: Ledger, warm_up: bool = False
) -> tuple[Figures, dict[str, Any]]:
    """One service run, reconciled into the ledger: its figures and its own check (a call not
    recorded by the run's end counts there as lost: late, until the ledger settles). A warm-up's
    calls are held to the ledger's final check (none lost, no double) but not to the run's:
    a cold service may well be late."""
    since_ms = int(time.time() * 1000) - 1
    result = await _load(ctx, ctx.root, n, rate, stand_down=True)
    cfg = result["config"]
    calls = bench_calls(cfg["prefix"], n, cfg["seed"])
    found = await reconcile(ctx.redis, calls, since_ms)
    check = found.as_dict()
    check["calls_on_two_incidents"] = result["calls_on_two_incidents"]
    # A call linked to another's incident is answered without a tasking of its own.
    check["untasked_calls"] = n - result["tasked_calls"] - found.linked
    check["fleet_available_after"] = await _wait_fleet_free(ctx)
    ledger.batches.append((calls, since_ms))
    if not warm_up:
        ledger.checks.append(check)
    return _figures(result), check


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


async def run_burst(ctx: Context) -> Scenario:
    """Scenario 4b: every call at once, AVL off; the throughput ratio to the bare pipeline."""
    scenario = Scenario("4b", "dispatch throughput, burst (AVL off)")
    ledger = Ledger()
    async with _bare_pipeline(ctx) as bare_root:
        await service_run(ctx, 20, 500.0, ledger=ledger, warm_up=True)  # scripts, caches, sockets
        await _bare_run(ctx, bare_root, 20, 500.0)
        svc, base = [], []
        for _ in range(ctx.plan.runs):
            svc.append((await service_run(ctx, ctx.plan.burst_calls, 0.0, ledger=ledger))[0])
            base.append(await _bare_run(ctx, bare_root, ctx.plan.burst_calls, 0.0))
    scenario.measured, scenario.baseline = median_of(svc), median_of(base)
    scenario.target = f"throughput >= {THROUGHPUT_TARGET}x the bare pipeline, in every run"
    # The issue holds every run to the ratio, not only the median of the runs.
    pairs = zip(svc, base, strict=True)
    runs = [s.rate_per_s / b.rate_per_s if b.rate_per_s else 0.0 for s, b in pairs]
    scenario.met = bool(runs) and min(runs) >= THROUGHPUT_TARGET
    scenario.extra["run_ratios"] = [round(r, 3) for r in runs]
    scenario.notes.append("each run's ratio: " + ", ".join(f"{r:.2f}" for r in runs))
    return _reconciled_verdict(scenario, await ledger.settle(ctx.redis))


def _calls_at(ctx: Context, rate: float) -> int:
    """A step's calls: its window at that rate, at least enough for a p99, and never more than
    half the fleet, so that every call of a step finds a unit free nearby."""
    wanted = max(_MIN_STEP_CALLS, round(rate * ctx.plan.step_s))
    return min(wanted, len(ctx.fleet) // 2)


@contextlib.asynccontextmanager
async def _fleet_avl(ctx: Context, cpu: list[float]) -> AsyncIterator[None]:
    """The whole fleet reports once a second to the service's topics while the block runs, for
    the service's steps and the bare pipeline's alike: both run on a machine carrying the same
    AVL (generator, broker, the service's AVL worker). The generator's CPU goes into `cpu`."""
    avl = await Child.start(
        "loadtests.bench.avl_load",
        {
            "url": ctx.generators.next().url,
            "root": ctx.root,
            "fleet": ctx.fleet_rows(),
            "rate": 1.0,
        },
    )
    try:
        await asyncio.sleep(_AVL_WARM_S)
        yield
    finally:
        cpu.append((await avl.finish(30))["cpu_pct"])


async def run_capacity(ctx: Context) -> Scenario:
    """Scenario 4a: the capacity of the service and of the bare pipeline, each found by stepping
    the offered call rate while the whole fleet reports AVL once a second; their ratio."""
    scenario = Scenario("4a", "capacity: call event -> tasking at the MDT (AVL on)")
    ledger = Ledger()
    avl_cpus: list[float] = []
    ladder = ctx.plan.ladder

    async def service_step(rate: float) -> Step:
        n = _calls_at(ctx, rate)
        figs, check = await service_run(ctx, n, rate, ledger=ledger)
        return Step(rate, figs, not check["lost"] and not check["untasked_calls"])

    ours: list[Search] = []
    bare: list[Search] = []
    async with _bare_pipeline(ctx) as bare_root, _fleet_avl(ctx, avl_cpus):

        async def bare_step(rate: float) -> Step:
            n = _calls_at(ctx, rate)
            await _reset_bare_fleet(ctx)
            result = await _load(ctx, bare_root, n, rate, stand_down=False)
            return Step(rate, _figures(result), result["tasked_calls"] == n)

        await service_run(ctx, 20, 200.0, ledger=ledger, warm_up=True)  # scripts, caches, sockets
        await bare_step(200.0)
        # Taken in turns, so a slower spell of the shared machine falls on both sides alike.
        for _ in range(ctx.plan.capacity_searches):
            ours.append(await find_capacity(service_step, ladder, CAPACITY_P99_MS))
            bare.append(await find_capacity(bare_step, ladder, CAPACITY_P99_MS))
    scenario.measured = _at_capacity(ours)
    scenario.baseline = _at_capacity(bare)
    scenario.target = (
        f"capacity (p99 <= {CAPACITY_P99_MS:.0f} ms, nothing late) >= {CAPACITY_TARGET}x the bare "
        f"pipeline's, {len(ctx.fleet)} units AVL 1/s"
    )
    ratio = scenario.ratio
    scenario.met = ratio is not None and ratio >= CAPACITY_TARGET
    for side, searches in (("service", ours), ("bare pipeline", bare)):
        for search in searches:
            scenario.notes.append(f"{side}: {_ladder_line(search)}")
    scenario.points = [
        {"offered": s.offered, "service": s.figures.as_dict(), "baseline": None}
        for search in ours for s in search.steps
    ] + [
        {"offered": s.offered, "service": None, "baseline": s.figures.as_dict()}
        for search in bare for s in search.steps
    ]  # fmt: skip
    scenario.extra["capacity_per_s"] = {
        "service": [s.capacity for s in ours],
        "bare_pipeline": [s.capacity for s in bare],
    }
    scenario.extra["generator_cpu_pct"] = avl_cpus
    scenario.extra["avl_units"] = len(ctx.fleet)
    return _reconciled_verdict(scenario, await ledger.settle(ctx.redis))


def _at_capacity(searches: list[Search]) -> Figures:
    """The median capacity as the rate, with the latency figures of the run at it (the median
    search's): a capacity of 0 (even the lowest rate failed) has no such run."""
    ranked = sorted(searches, key=lambda s: s.capacity)
    middle = ranked[len(ranked) // 2]
    step = middle.at_capacity()
    nan = float("nan")
    if step is None:
        return Figures(0.0, nan, nan, nan, 0)
    f = step.figures
    return Figures(middle.capacity, f.p50_ms, f.p95_ms, f.p99_ms, f.count, f.generator_cpu_pct)


def _ladder_line(search: Search) -> str:
    steps = ", ".join(
        f"{s.offered:.0f}/s p99 {s.figures.p99_ms:.0f} ms"
        + ("" if s.answered_all else " (late)")
        + ("" if s.kept_up(CAPACITY_P99_MS) else " X")
        for s in search.steps
    )
    return f"capacity {search.capacity:.0f}/s; steps {steps}"


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
