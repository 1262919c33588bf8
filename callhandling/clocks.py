"""Target clocks: time since the call, the grade's target, time left, and a predicted breach."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from cad.events import Grade
from cad.incident_record import IncidentRecord

# Attendance targets by grade; Extended and Referred are scheduled or not attended at all.
TARGET_S: dict[Grade, int] = {Grade.IMMEDIATE: 15 * 60, Grade.SIGNIFICANT: 60 * 60}
# A dispatched I grade incident 75 s after the call, no unit on scene yet (OpenAPI's example).
EXAMPLE_CLOCKS: dict[str, Any] = {
    "since_call_s": 75.2, "target_s": 900, "time_left_s": 824.8, "attended": False,
    "predicted_breach": False, "best_eta_s": None,
}  # fmt: skip


class Clocks(BaseModel):
    """An incident's clocks at one moment."""

    model_config = ConfigDict(frozen=True, json_schema_extra={"examples": [EXAMPLE_CLOCKS]})

    since_call_s: float
    target_s: int | None
    time_left_s: float | None
    attended: bool
    predicted_breach: bool | None
    best_eta_s: float | None


def clocks(incident: IncidentRecord, *, now_ms: int, best_eta_s: float | None) -> Clocks:
    """The clocks; a breach is predicted when the best ETA (if known) exceeds the time left."""
    since = (now_ms - incident.received_ms) / 1000
    target = TARGET_S.get(incident.grade) if incident.grade is not None else None
    on_scene_ms = incident.on_scene_ms
    attended = on_scene_ms is not None
    if target is None:
        return Clocks(
            since_call_s=since, target_s=None, time_left_s=None, attended=attended,
            predicted_breach=None, best_eta_s=best_eta_s,
        )  # fmt: skip
    if attended:
        assert on_scene_ms is not None
        late = (on_scene_ms - incident.received_ms) / 1000 > target
        return Clocks(
            since_call_s=since, target_s=target, time_left_s=None, attended=True,
            predicted_breach=late, best_eta_s=None,
        )  # fmt: skip
    left = target - since
    breach = left < 0 or (best_eta_s is not None and best_eta_s > left)
    return Clocks(
        since_call_s=since, target_s=target, time_left_s=left, attended=False,
        predicted_breach=breach, best_eta_s=best_eta_s,
    )  # fmt: skip
