"""Smoke test of `python -m loadtests.capacity` at a tiny scale: every phase handles its items and
every process is found and charged. Never a timed assertion: only the figures' presence and
sign where the work is certain (a call costs the service and Redis CPU; a fix, the AVL worker).
"""

from __future__ import annotations

import pytest

from loadtests.capacity import ROLES, Load, Point, measure_point, table

TINY = Load(calls=20, call_rate=10.0, avl_s=2.0, idle_s=1.0, warm_s=0.5)


@pytest.mark.slow
async def test_a_tiny_point_charges_each_process_for_its_calls_fixes_and_closes() -> None:
    point = await measure_point(Point(units=100, open=5), TINY, runs=1)
    assert point["opened"] == 5
    (run,) = point["runs"]
    assert run["fixes"] > 0
    assert run["calls"] == TINY.calls
    assert 0 < run["closed"] <= run["tasked"] <= TINY.calls
    assert set(run["per_call_us"]) == set(ROLES)
    # A call's work lands in the service and Redis; a fix's in the AVL worker, far above noise.
    assert run["per_call_us"]["service"] > 100
    assert run["per_call_us"]["redis"] > 10
    assert run["per_fix_us"]["avl_worker"] > 1
    # Each server was found: the broker carried the calls, PostgreSQL ran the archiver's writes.
    assert run["per_call_us"]["mosquitto"] > 0
    assert run["idle_ms_per_s"]["postgres"] > 0
    assert "| 100 | 5 | service |" in table([point])


def test_a_point_reads_as_units_then_open_incidents() -> None:
    assert Point.parse("3000:1000") == Point(units=3000, open=1000)
