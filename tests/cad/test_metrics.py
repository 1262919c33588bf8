"""Prometheus metrics: counting, and a reading of Redis replacing the last one."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import AreaState, ServiceMetrics, count_statuses


def samples_of(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize(
    ("statuses", "counts"),
    [
        ([], {}),
        (["available"], {"available": 1}),
        (["available", "assigned", "available"], {"available": 2, "assigned": 1}),
        (["off_duty"] * 5, {"off_duty": 5}),
    ],
)
def test_statuses_are_counted(statuses: list[str], counts: dict[str, int]) -> None:
    assert count_statuses(statuses) == counts


def test_a_fresh_reading_replaces_the_last_one() -> None:
    metrics = ServiceMetrics()
    metrics.set_state([AreaState("CW", {"available": 3, "assigned": 1}, 2, 4)], 7)
    metrics.set_state([AreaState("CN", {"available": 1}, 0, 1)], 8)
    samples = samples_of(metrics.render().decode())
    assert samples[("cad_units", (("area", "CN"), ("status", "available")))] == 1
    assert ("cad_units", (("area", "CW"), ("status", "available"))) not in samples
    assert samples[("cad_dead_letter_records", ())] == 8


def test_each_app_counts_in_its_own_registry() -> None:
    first, second = ServiceMetrics(), ServiceMetrics()
    first.observe_call("http", "created", 0.004)
    assert (
        samples_of(first.render().decode())[
            ("cad_calls_total", (("channel", "http"), ("outcome", "created")))
        ]
        == 1
    )
    assert ("cad_calls_total", (("channel", "http"), ("outcome", "created"))) not in samples_of(
        second.render().decode()
    )
