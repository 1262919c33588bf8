"""Smoke tests of `cad bench` at a tiny scale: the shape of its output and clean reconciliation.

Never a timed assertion: the figures depend on the machine; only their presence is checked.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cad.settings import Settings
from loadtests.bench import redis_claims
from loadtests.bench.capacity_search import Ladder, Step, find_capacity
from loadtests.bench.command import reconciled_clean
from loadtests.bench.context import Context, Growth, Plan
from loadtests.bench.e2e import run_burst, run_capacity
from loadtests.bench.flat_growth import WARM_CALLS, run_flat_growth
from loadtests.bench.fleet import bench_fleet, register_bench_fleet
from loadtests.bench.pacing import start_when_due
from loadtests.bench.reconcile import _doubles
from loadtests.bench.redis_claims import ClaimLoad
from loadtests.bench.report import plot, table, write_json
from loadtests.bench.service_proc import running_service
from loadtests.bench.stats import Figures
from tests.helpers import harness_url
from transport.mqtt_logins import GeneratorLogins

TINY = Plan(
    runs=1, claims=ClaimLoad(units=200, claims=50, concurrency=4), rtt_pings=10, rtt_flood=100,
    fleet=60, ladder=Ladder(start=50.0, highest=100.0, lowest=25.0, bisections=1), step_s=0.2,
    capacity_searches=1, burst_calls=10, http_run_s=0.2, http_concurrency=2, avl_rounds=1,
    recommend_s=0.1, recommend_units=100,
    growth=Growth(small_units=30, large_units=90, open_incidents=40, rate=20.0, seconds=1.0),
)  # fmt: skip


def _step(rate: float, p99_ms: float, *, answered_all: bool = True) -> Step:
    return Step(rate, Figures(rate, p99_ms / 2, p99_ms, p99_ms, 100), answered_all)


async def test_the_capacity_search_doubles_then_bisects_to_the_last_rate_that_kept_up() -> None:
    offered: list[float] = []

    async def probe(rate: float) -> Step:
        # A pipeline that keeps up to 300/s; above it, p99 climbs past the limit.
        offered.append(rate)
        return _step(rate, 10.0 if rate <= 300 else 500.0)

    found = await find_capacity(probe, Ladder(100.0, 3200.0, 25.0, bisections=2), 100.0)
    # A failing rate is run twice before it counts.
    assert offered == [100.0, 200.0, 400.0, 400.0, 283.0, 336.0, 336.0]
    assert found.capacity == 283.0
    step = found.at_capacity()
    assert step is not None
    assert step.offered == 283.0


async def test_the_capacity_search_halves_down_and_a_late_call_fails_a_step() -> None:
    async def probe(rate: float) -> Step:
        # p99 is fine at every rate, but above 30/s some call is still unanswered at the end.
        return _step(rate, 5.0, answered_all=rate <= 30)

    found = await find_capacity(probe, Ladder(100.0, 3200.0, 20.0, bisections=0), 100.0)
    assert [s.offered for s in found.steps] == [100.0, 100.0, 50.0, 50.0, 25.0]
    assert found.capacity == 25.0

    stalls = iter([True, False])

    async def one_stall(rate: float) -> Step:
        # The first run at 200/s met a stall of the machine; the second kept up.
        return _step(rate, 500.0 if rate == 200 and next(stalls) else 10.0)

    ladder = Ladder(100.0, 200.0, 20.0, bisections=0)
    assert (await find_capacity(one_stall, ladder, 100.0)).capacity == 200.0

    async def never(rate: float) -> Step:
        return _step(rate, 500.0)

    nothing = await find_capacity(never, Ladder(100.0, 3200.0, 20.0, bisections=2), 100.0)
    assert nothing.capacity == 0.0
    assert nothing.at_capacity() is None


async def test_bare_and_dispatch_claims_claim_every_time(redis: Redis, settings: Settings) -> None:
    bare = await redis_claims.bare_run(redis, settings, TINY.claims, seed=1)
    ours = await redis_claims.dispatch_run(redis, settings, TINY.claims, seed=1)
    assert bare.count == ours.count == TINY.claims.claims
    assert bare.rate_per_s > 0
    assert ours.p99_ms >= ours.p50_ms
    assert await redis.keys("cad:{BN*") == []  # the throwaway area is gone


async def test_a_late_start_counts_from_its_due_time_and_an_early_one_from_its_start() -> None:
    overdue = time.perf_counter() - 0.5
    assert await start_when_due(overdue) == overdue  # the half second waited counts
    due = time.perf_counter() + 0.02
    counted_from = await start_when_due(due)
    # Never from a moment after the due time: a wake-up late by the timer's grain would count.
    assert counted_from <= due


def _assigned(callsign: str, ref: str) -> dict[str, str]:
    return {"type": "unit_assigned", "callsign": callsign, "ref": ref}


def _status(callsign: str, status: str) -> dict[str, str]:
    return {"type": "unit_status", "callsign": callsign, "status": status}


@pytest.mark.parametrize(
    ("entries", "doubles"),
    [
        ([_assigned("U1", "A"), _status("U1", "available"), _assigned("U1", "B")], 0),
        ([_assigned("U1", "A"), _status("U1", "on_scene"), _assigned("U1", "B")], 1),
        ([_assigned("U1", "A"), _assigned("U2", "A")], 1),
        ([_assigned("U1", "A"), _assigned("U2", "B")], 0),
        ([_assigned("U1", "A"), _status("U1", "unresponsive"), _assigned("U2", "A")], 0),
    ],
    ids=["released-first", "still-committed", "incident-two-units", "separate", "escalated"],
)
def test_the_audit_walk_finds_overlapping_commitments(
    entries: list[dict[str, str]], doubles: int
) -> None:
    assert len(_doubles(entries)) == doubles


async def test_tiny_end_to_end_run_reconciles_clean_and_reports(
    redis: Redis, settings: Settings, tmp_path: Path
) -> None:
    fleet = bench_fleet("T", TINY.fleet, seed=3)
    await register_bench_fleet(redis, fleet)
    async with running_service(settings.redis_url, settings.mqtt_url, tmp_path) as (root, port):
        generators = GeneratorLogins(harness_url(settings), 64)
        ctx = Context(redis, settings.redis_url, generators, root, port, fleet, tmp_path, TINY)
        burst = await run_burst(ctx)
        capacity = await run_capacity(ctx)
    check = capacity.reconciliation
    assert check is not None
    assert check["lost"] == 0
    assert check["double_dispatches"] == 0
    assert check["calls_on_two_incidents"] == 0
    assert burst.ratio is not None
    # Each side's search made at least its first step, and the figures name the capacity found.
    searched = capacity.extra["capacity_per_s"]
    assert capacity.points[0]["offered"] == TINY.ladder.start
    assert capacity.measured is not None
    assert capacity.baseline is not None
    assert capacity.measured.rate_per_s == searched["service"][0]
    assert capacity.baseline.rate_per_s == searched["bare_pipeline"][0]
    assert any(n.startswith("bare pipeline: capacity") for n in capacity.notes)
    doc = {
        "quick": True, "seconds": 1.0, "workdir": str(tmp_path),
        "machine": {"cpu": "test", "cores": 2, "memory_gb": 1.0},
        "scenarios": [capacity.as_dict(), burst.as_dict()],
    }  # fmt: skip
    assert "capacity: call event -> tasking" in table(doc)
    write_json(doc, tmp_path / "bench.json")
    written = json.loads((tmp_path / "bench.json").read_text())
    assert set(written["scenarios"][0]) >= {"measured", "baseline", "ratio", "reconciliation"}
    assert [p.name for p in plot(doc, tmp_path)] == ["bench-4a-latency.png"]


async def test_flat_growth_seeds_the_backlog_measures_both_sides_and_reconciles(
    settings: Settings, tmp_path: Path
) -> None:
    generators = GeneratorLogins(harness_url(settings), 64)
    growth = await run_flat_growth(
        settings.redis_url, settings.mqtt_url, generators, tmp_path, TINY
    )
    assert growth.extra["open_incidents"] == TINY.growth.open_incidents
    cpu = growth.extra["cpu_ms_per_call"]
    # A call costs the service CPU on either side, far above the noise of a sample.
    assert min(cpu["small"] + cpu["grown"]) > 0.1
    assert growth.ratio == pytest.approx(cpu["grown"][0] / cpu["small"][0], rel=0.01)
    check = growth.reconciliation
    assert check is not None
    # The seeded backlog, the warm-up and both sides' windows: every call reconciled.
    windows = 2 * TINY.runs * int(TINY.growth.rate * TINY.growth.seconds)
    assert check["calls"] == TINY.growth.open_incidents + WARM_CALLS + windows
    assert check["lost"] == 0
    assert check["double_dispatches"] == 0
    assert growth.measured is not None
    assert growth.measured.count > 0
    doc = {
        "quick": True, "seconds": 1.0, "workdir": str(tmp_path),
        "machine": {"cpu": "test", "cores": 2, "memory_gb": 1.0},
        "scenarios": [growth.as_dict()],
    }  # fmt: skip
    assert "target: CPU per call <= 1.25x" in table(doc)
    assert reconciled_clean(doc)
    # A call lost by this scenario's runs fails the bench, as a lost call of any scenario does.
    check["lost"] = 1
    assert not reconciled_clean({**doc, "scenarios": [growth.as_dict()]})
