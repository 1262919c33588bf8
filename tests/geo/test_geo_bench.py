"""The benchmark runs and reports its figures (a smoke test, not a timed one)."""

from __future__ import annotations

from geo.bench import run_geo_bench


def test_the_quick_benchmark_reports_every_figure() -> None:
    figures = run_geo_bench(quick=True)
    for name in (
        "locate_p50_us",
        "locate_p99_us",
        "batch_points_per_s",
        "off_area_p50_us",
        "off_area_p99_us",
        "circle_500m_p50_us",
        "circle_500m_p99_us",
        "distance_ns",
    ):
        assert figures[name] > 0, name
    assert figures["locate_p50_us"] <= figures["locate_p99_us"]
