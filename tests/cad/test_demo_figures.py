"""The demo's figures read back from the service: calls by channel from its metrics, and the
KPI report summed per BCU."""

from __future__ import annotations

from typing import Any

from service.demo.call_counts import calls_by_channel
from service.demo.supervisor import bcu_kpis
from service.metrics import ServiceMetrics


def test_calls_by_channel_sums_outcomes_from_the_services_own_exposition() -> None:
    metrics = ServiceMetrics()
    for channel, outcome in [("mqtt", "created"), ("mqtt", "created"), ("mqtt", "linked"),
                             ("http", "created")]:  # fmt: skip
        metrics.observe_call(channel, outcome, 0.001)
    counted = calls_by_channel(metrics.render().decode())
    assert counted == {"mqtt": 3, "http": 1}


def _group(area: str, grade: str | None, **figures: Any) -> dict[str, Any]:
    base = {"area": area, "grade": grade, "incidents": 0, "dispatched": 0,
            "call_to_dispatch_median_s": None, "within_target": 0, "target_decided": 0}  # fmt: skip
    return {**base, **figures}


def test_bcu_kpis_sum_grades_and_take_the_immediate_median() -> None:
    report = {
        "groups": [
            _group(
                "CW",
                "I",
                incidents=4,
                dispatched=4,
                call_to_dispatch_median_s=12.5,
                within_target=3,
                target_decided=4,
            ),
            _group(
                "CW",
                "S",
                incidents=2,
                dispatched=1,
                call_to_dispatch_median_s=40.0,
                within_target=1,
                target_decided=1,
            ),
            _group("CW", "E", incidents=1),
            _group("CE", "S", incidents=1, dispatched=1, call_to_dispatch_median_s=3.0),
        ]
    }
    ce, cw = bcu_kpis(report)
    assert (cw.area, cw.incidents, cw.dispatched) == ("CW", 7, 5)
    assert cw.immediate_median_s == 12.5
    assert (cw.within_target, cw.target_decided, cw.within_target_pct) == (4, 5, 80.0)
    # No I grade, nothing decided: no median and no percentage, never 0.
    assert (ce.area, ce.immediate_median_s, ce.within_target_pct) == ("CE", None, None)
