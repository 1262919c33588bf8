"""The KPI report as CSV: one header row, then one row per group with the JSON answer's fields
in the same order and the same figures (an empty cell for null). Pure: no I/O."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from service.api.report_schemas import KpiGroup, KpiReport

MEDIA_TYPE = "text/csv"
COLUMNS = tuple(KpiGroup.model_fields)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def report_csv(report: KpiReport) -> str:
    """The groups, with a header row naming the columns (RFC 4180 line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for group in report.groups:
        writer.writerow([_cell(getattr(group, c)) for c in COLUMNS])
    return out.getvalue()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def filename(report: KpiReport) -> str:
    """`kpis_CW_20260328T0000Z_20260329T0600Z_shift.csv` (`all` for every area)."""
    start, end = (report.from_.astimezone(UTC), report.to.astimezone(UTC))
    return f"kpis_{report.area or 'all'}_{_stamp(start)}_{_stamp(end)}_{report.by}.csv"


def wants_csv(accept: str | None) -> bool:
    """Whether an Accept header asks for CSV: it names text/csv (q above 0) and does not name
    application/json with a quality as high (a wildcard never beats the type it names)."""
    quality = {"csv": 0.0, "json": 0.0}
    for item in (accept or "").split(","):
        kind, *options = (part.strip() for part in item.split(";"))
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        kind = kind.lower()
        if kind == MEDIA_TYPE:
            quality["csv"] = max(quality["csv"], q)
        elif kind == "application/json":
            quality["json"] = max(quality["json"], q)
    return quality["csv"] > 0 and quality["csv"] > quality["json"]
