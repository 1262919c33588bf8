"""The KPI report's answer made from the database's groups: seconds, percentages and the notes
on grades without a target. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cad.shifts import Shift
from history.report_periods import By, Period
from history.report_query import KpiRow
from service.api.report_schemas import KpiGroup, KpiReport, ShiftOut

# Why a grade has no attendance target (callhandling/clocks.py TARGET_S has those that do).
_NO_TARGET = {
    "E": "grade E has no attendance target (extended: attendance is scheduled)",
    "R": "grade R has no attendance target (referred: no deployment)",
    None: "not graded yet: no attendance target",
}
_NONE_DECIDED = "no incident decided against the target yet"


def _s(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def kpi_group(row: KpiRow, period: Period) -> KpiGroup:
    """One group of the answer."""
    pct = round(100 * row.within_target / row.target_decided, 1) if row.target_decided else None
    if row.target_ms is None:
        note: str | None = _NO_TARGET.get(row.grade, f"grade {row.grade} has no attendance target")
    else:
        note = None if row.target_decided else _NONE_DECIDED
    return KpiGroup(
        day=period.day, shift=period.shift, period_start=_time(period.start_ms),
        period_end=_time(period.end_ms), area=row.area, grade=row.grade, incidents=row.incidents,
        dispatched=row.dispatched, call_to_dispatch_median_s=_s(row.call_to_dispatch_median_ms),
        call_to_dispatch_p90_s=_s(row.call_to_dispatch_p90_ms), attended=row.attended,
        dispatch_to_arrival_median_s=_s(row.dispatch_to_arrival_median_ms),
        dispatch_to_arrival_p90_s=_s(row.dispatch_to_arrival_p90_ms),
        target_s=None if row.target_ms is None else row.target_ms // 1000,
        target_decided=row.target_decided, within_target=row.within_target,
        within_target_pct=pct, target_note=note,
    )  # fmt: skip


def kpi_report(
    rows: Sequence[KpiRow],
    periods: Sequence[Period],
    *,
    window: tuple[datetime, datetime],
    area: str | None,
    by: By,
    timezone: str,
    shifts: Sequence[Shift],
    now_ms: int,
    left_out: list[str],
) -> KpiReport:
    """The whole answer."""
    return KpiReport(
        from_=window[0], to=window[1], area=area, by=by, timezone=timezone,
        shifts=[ShiftOut(name=s.name, start=s.start.strftime("%H:%M")) for s in shifts],
        generated_at=_time(now_ms), groups=[kpi_group(r, periods[r.period]) for r in rows],
        left_out=left_out,
    )  # fmt: skip
