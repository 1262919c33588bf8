"""The KPI report's answer (docs/reports.md): one group per period, area and grade."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_GROUP_EXAMPLE: dict[str, Any] = {
    "day": "2026-03-28", "shift": "night", "period_start": "2026-03-28T23:00:00Z",
    "period_end": "2026-03-29T06:00:00Z", "area": "CW", "grade": "I", "incidents": 41,
    "dispatched": 40, "call_to_dispatch_median_s": 92.5, "call_to_dispatch_p90_s": 241.0,
    "attended": 38, "dispatch_to_arrival_median_s": 418.0, "dispatch_to_arrival_p90_s": 796.3,
    "target_s": 900, "target_decided": 39, "within_target": 34, "within_target_pct": 87.2,
    "target_note": None,
}  # fmt: skip


class KpiGroup(BaseModel):
    """The figures of one period, area (BCU) and grade. Times in seconds; a median or 90th
    percentile is null when no incident of the group has that interval. `within_target_pct` is
    of the incidents decided against the grade's target (`target_decided`); it is null, with
    `target_note` saying why, for a grade without a target (E, R, not graded yet) or when none
    is decided yet."""

    day: date = Field(description="the local day (by shift: the day the shift starts)")
    shift: str | None = Field(description="the shift's name; null when grouped by day")
    period_start: datetime = Field(description="the period's first instant (cut to the window)")
    period_end: datetime = Field(description="the instant after it (cut to the window)")
    area: str
    grade: str | None = Field(description="I, S, E or R; null: not graded yet")
    incidents: int = Field(description="incidents whose call was received in the period")
    dispatched: int = Field(description="of them, those a unit was dispatched to")
    call_to_dispatch_median_s: float | None
    call_to_dispatch_p90_s: float | None
    attended: int = Field(description="of the dispatched, those a unit reached")
    dispatch_to_arrival_median_s: float | None
    dispatch_to_arrival_p90_s: float | None
    target_s: int | None = Field(description="the grade's attendance target from the call")
    target_decided: int = Field(description="incidents met or missed (docs/reports.md)")
    within_target: int
    within_target_pct: float | None
    target_note: str | None


class ShiftOut(BaseModel):
    """A shift as configured (CAD_REPORT_SHIFTS): its name and local start time."""

    name: str
    start: str = Field(description="HH:MM, local time")


class KpiReport(BaseModel):
    """KPIs per period, BCU and grade over `[from, to)`, oldest period first."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-03-28T00:00:00Z", "to": "2026-03-29T06:00:00Z", "area": "CW",
                    "by": "shift", "timezone": "Europe/London",
                    "shifts": [{"name": "early", "start": "07:00"},
                               {"name": "late", "start": "15:00"},
                               {"name": "night", "start": "23:00"}],
                    "generated_at": "2026-03-29T08:00:00Z", "groups": [_GROUP_EXAMPLE],
                    "left_out": [],
                }
            ]
        },
    )  # fmt: skip

    from_: datetime = Field(alias="from")
    to: datetime
    area: str | None = Field(description="null: every area")
    by: Literal["day", "shift"]
    timezone: str = Field(description="the zone of days and shifts (CAD_REPORT_TIMEZONE)")
    shifts: list[ShiftOut]
    generated_at: datetime = Field(description="open incidents' targets are judged at this time")
    groups: list[KpiGroup]
    left_out: list[str] = Field(
        description="refs of incidents in Redis whose records could not be read (not counted)"
    )
