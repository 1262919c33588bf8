"""Target clocks, case by case."""

from __future__ import annotations

import pytest

from cad.events import Grade
from cad.incident_record import IncidentRecord
from callhandling.clocks import clocks

T0 = 1_800_000_000_000


def incident(grade: Grade | None, on_scene_ms: int | None) -> IncidentRecord:
    return IncidentRecord(
        ref="R", area="CW", call_id="c", status="pending", grade=grade, source="999",
        lon=0.0, lat=51.5, received_ms=T0, created_ms=T0, on_scene_ms=on_scene_ms,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("grade", "after_s", "on_scene_after_s", "eta_s", "left", "breach"),
    [
        (Grade.IMMEDIATE, 300, None, 240.0, 600.0, False),
        (Grade.IMMEDIATE, 300, None, 700.0, 600.0, True),
        (Grade.IMMEDIATE, 1000, None, None, -100.0, True),
        (Grade.IMMEDIATE, 1000, 800, None, None, False),
        (Grade.IMMEDIATE, 2000, 1000, None, None, True),
        (Grade.SIGNIFICANT, 600, None, 300.0, 3000.0, False),
        (Grade.SIGNIFICANT, 3500, None, 200.0, 100.0, True),
        (Grade.EXTENDED, 99_999, None, 100.0, None, None),
        (None, 60, None, None, None, None),
    ],
)
def test_clocks(
    grade: Grade | None, after_s: int, on_scene_after_s: int | None, eta_s: float | None,
    left: float | None, breach: bool | None,
) -> None:  # fmt: skip
    on_scene = None if on_scene_after_s is None else T0 + on_scene_after_s * 1000
    result = clocks(incident(grade, on_scene), now_ms=T0 + after_s * 1000, best_eta_s=eta_s)
    assert result.since_call_s == after_s
    assert result.time_left_s == left
    assert result.predicted_breach is breach
    assert result.attended is (on_scene is not None)
