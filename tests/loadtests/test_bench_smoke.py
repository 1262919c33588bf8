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
from loadtests.bench.context import Context, Plan
from loadtests.bench.e2e import run_burst, run_latency
from loadtests.bench.fleet import bench_fleet, register_bench_fleet
from loadtests.bench.pacing import start_when_due
from loadtests.bench.reconcile import _doubles
from loadtests.bench.redis_claims import ClaimLoad
from loadtests.bench.report import plot, table, write_json
from loadtests.bench.runner import running_service
from tests.helpers import harness_url
from transport.mqtt_logins import GeneratorLogins

TINY = Plan(
    runs=1, claims=ClaimLoad(units=200, claims=50, concurrency=4), rtt_pings=10, rtt_flood=100,
    fleet=60, rates=(50.0, 100.0), rate_run_s=0.2, burst_calls=10, http_run_s=0.2,
    http_concurrency=2, avl_rounds=1,
)  # fmt: skip


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
        latency = await run_latency(ctx)
    check = latency.reconciliation
    assert check is not None
    assert check["lost"] == 0
    assert check["double_dispatches"] == 0
    assert check["calls_on_two_incidents"] == 0
    assert latency.measured is not None
    assert latency.measured.count > 0
    assert burst.ratio is not None
    assert [p["offered"] for p in latency.points] == [50.0, 100.0]
    doc = {
        "quick": True, "seconds": 1.0, "workdir": str(tmp_path),
        "machine": {"cpu": "test", "cores": 2, "memory_gb": 1.0},
        "scenarios": [latency.as_dict(), burst.as_dict()],
    }  # fmt: skip
    assert "call event -> tasking" in table(doc)
    write_json(doc, tmp_path / "bench.json")
    written = json.loads((tmp_path / "bench.json").read_text())
    assert set(written["scenarios"][0]) >= {"measured", "baseline", "ratio", "reconciliation"}
    assert [p.name for p in plot(doc, tmp_path)] == ["bench-4a-latency.png"]
