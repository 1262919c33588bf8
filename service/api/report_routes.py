"""Reports over HTTP: `GET /v1/reports/kpis`, KPIs per period (day or shift), BCU and grade,
as JSON or CSV (docs/reports.md). Dispatchers and supervisors: the figures are aggregates that
name no caller, officer or unit.

Needs PostgreSQL, as the history routes do: without CAD_DATABASE_URL, or while it is down, a
503 naming `postgresql`; Redis down is a 503 naming `redis`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from cad.shifts import parse_shifts
from cad.tokens import Role
from callhandling.clocks import TARGET_S
from geo import BCUS
from history.report_live import live_facts
from history.report_periods import By, periods
from history.report_query import kpi_rows
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, UNAVAILABLE, documented
from service.api.history_routes import IsoTime, history_of
from service.api.report_answer import kpi_report
from service.api.report_csv import MEDIA_TYPE, filename, report_csv, wants_csv
from service.api.report_schemas import KpiReport
from service.auth.deps import Caller, require

router = APIRouter(tags=["reports"])
Reporting = Annotated[Caller, Depends(require(Role.DISPATCHER, Role.SUPERVISOR))]
# The longest window one request may ask for: a quarter (a year of a force's incidents is
# millions of rows; a quarter's report reads about a quarter of that, within the index).
MAX_WINDOW = timedelta(days=92)
# Incident times are epoch milliseconds: a window outside these bounds holds none, and its
# local days could not all be named.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_TARGETS_MS = {grade.value: seconds * 1000 for grade, seconds in TARGET_S.items()}
_CSV_EXAMPLE = (
    "day,shift,period_start,period_end,area,grade,incidents,dispatched,"
    "call_to_dispatch_median_s,call_to_dispatch_p90_s,attended,dispatch_to_arrival_median_s,"
    "dispatch_to_arrival_p90_s,target_s,target_decided,within_target,within_target_pct,"
    "target_note\r\n"
    "2026-03-28,night,2026-03-28T23:00:00Z,2026-03-29T06:00:00Z,CW,I,41,40,92.5,241.0,38,"
    "418.0,796.3,900,39,34,87.2,\r\n"
)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON, or CSV (`format=csv`, or `Accept: text/csv`) with a header row, "
        "sent as an attachment `kpis_{area|all}_{from}_{to}_{by}.csv`",
        "content": {MEDIA_TYPE: {"schema": {"type": "string"}, "example": _CSV_EXAMPLE}},
    },
    **documented(*AUTHENTICATED, UNAVAILABLE),
}


def _refused(field: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": msg, "type": "value_error"}])


@router.get("/v1/reports/kpis", response_model=KpiReport, responses=_RESPONSES)
async def kpis(
    _: Reporting,
    runtime: RuntimeDep,
    from_: Annotated[
        IsoTime, Query(alias="from", description="calls received at or after (with offset)")
    ],
    to: Annotated[IsoTime, Query(description="calls received before (with offset)")],
    area: str | None = Query(
        default=None,
        max_length=16,
        description="a BCU code; every BCU without",
        json_schema_extra={"enum": list(BCUS)},
    ),
    by: Annotated[By, Query(description="local calendar days, or shifts")] = "day",
    format_: Literal["json", "csv"] | None = Query(
        default=None, alias="format", description="wins over the Accept header"
    ),
    accept: str | None = Header(default=None, include_in_schema=False),
) -> KpiReport | Response:
    """Per period (local day or shift, CAD_REPORT_TIMEZONE and CAD_REPORT_SHIFTS), BCU and
    grade: incidents, call to dispatch and dispatch to arrival (median, 90th percentile) and the
    share attended within the grade's target, over the archived incidents and those Redis
    holds, each counted once (docs/reports.md)."""
    if from_ < EARLIEST:
        raise _refused("from", f"must be at or after {EARLIEST.isoformat()}")
    if to > LATEST:
        raise _refused("to", f"must be at or before {LATEST.isoformat()}")
    if to <= from_:
        raise _refused("to", "must be after from")
    if to - from_ > MAX_WINDOW:
        raise _refused("to", f"the window is at most {MAX_WINDOW.days} days")
    if area is not None and area not in BCUS:
        raise _refused("area", f"unknown area {area!r}: one of {', '.join(BCUS)}")
    settings = runtime.settings
    zone, shifts = ZoneInfo(settings.report_timezone), parse_shifts(settings.report_shifts)
    from_ms, to_ms = int(from_.timestamp() * 1000), int(to.timestamp() * 1000)
    found = periods(from_ms, to_ms, by=by, zone=zone, shifts=shifts)
    now_ms = int(time.time() * 1000)
    # PostgreSQL first: a report it cannot answer costs Redis nothing.
    async with history_of(runtime) as conn:
        live = await live_facts(runtime.redis, from_ms=from_ms, to_ms=to_ms)
        rows = await kpi_rows(
            conn, live.facts, starts_ms=[p.start_ms for p in found], to_ms=to_ms, area=area,
            targets_ms=_TARGETS_MS, now_ms=now_ms,
        )  # fmt: skip
    report = kpi_report(
        rows, found, window=(from_, to), area=area, by=by, timezone=settings.report_timezone,
        shifts=shifts, now_ms=now_ms, left_out=live.unreadable,
    )  # fmt: skip
    if format_ == "csv" or (format_ is None and wants_csv(accept)):
        disposition = f'attachment; filename="{filename(report)}"'
        return Response(
            report_csv(report), media_type=f"{MEDIA_TYPE}; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )  # fmt: skip
    return report
