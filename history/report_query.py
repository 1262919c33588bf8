"""The KPI report's one statement: the archived incidents of a window and the live ones Redis
gave, grouped by period, area and grade, with their medians, 90th percentiles and attendance
against target, all computed by PostgreSQL (percentile_cont) over both together, so that a
group's figures are exact whichever store its incidents are in.

How an incident counts against its grade's target (as the live KPI panel counts it,
service/live/kpis.py): met when a unit was on scene within the target of the call; missed when
it was later, when it was closed without one, or when it is not over yet (open, or awaiting its
result) without one past the target. One cancelled or referred without a unit on scene, or not
over and inside its target, is not decided and counts neither way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cad.incident_record import FINAL, IncidentStatus
from history.report_facts import IncidentFacts
from history.store import Connection

_KPIS = """
WITH live AS (
    SELECT * FROM unnest(
        %(refs)s::text[], %(areas)s::text[], %(grades)s::text[], %(statuses)s::text[],
        %(received)s::bigint[], %(dispatched)s::bigint[], %(on_scene)s::bigint[]
    ) AS l (ref, area, grade, status, received_ms, dispatched_ms, on_scene_ms)
),
archived AS (
    SELECT ref, area, grade, status, received_ms, dispatched_ms, on_scene_ms
    FROM incidents i
    WHERE received_ms >= %(from_ms)s AND received_ms < %(to_ms)s
      -- A hash anti-join: `ref <> ALL (refs)` would compare every row with every live ref.
      AND NOT EXISTS (SELECT 1 FROM live WHERE live.ref = i.ref)
),
facts AS (
    SELECT * FROM archived UNION ALL SELECT * FROM live
),
targets AS (
    SELECT * FROM unnest(%(target_grades)s::text[], %(target_ms)s::bigint[]) AS t (grade, ms)
)
SELECT width_bucket(f.received_ms, %(bounds)s::bigint[]) AS period, f.area, f.grade,
    count(*) AS incidents,
    count(f.dispatched_ms - f.received_ms) AS dispatched,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY f.dispatched_ms - f.received_ms),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY f.dispatched_ms - f.received_ms),
    count(f.on_scene_ms - f.dispatched_ms) AS attended,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY f.on_scene_ms - f.dispatched_ms),
    percentile_cont(0.9) WITHIN GROUP (ORDER BY f.on_scene_ms - f.dispatched_ms),
    max(t.ms) AS target_ms,
    count(*) FILTER (WHERE t.ms IS NOT NULL AND (
        f.on_scene_ms IS NOT NULL
        OR f.status = %(closed)s
        OR (f.status <> ALL (%(final)s::text[]) AND %(now_ms)s - f.received_ms > t.ms)
    )) AS target_decided,
    count(*) FILTER (WHERE f.on_scene_ms - f.received_ms <= t.ms) AS within_target
FROM facts f LEFT JOIN targets t ON t.grade = f.grade
WHERE %(area)s::text IS NULL OR f.area = %(area)s::text
GROUP BY 1, f.area, f.grade
ORDER BY 1, f.area, f.grade NULLS LAST
"""


@dataclass(frozen=True)
class KpiRow:
    """One group's figures; `period` indexes the report's periods (0: the first). Times in
    milliseconds; a median or percentile is None when the group has no such interval."""

    period: int
    area: str
    grade: str | None
    incidents: int
    dispatched: int
    call_to_dispatch_median_ms: float | None
    call_to_dispatch_p90_ms: float | None
    attended: int
    dispatch_to_arrival_median_ms: float | None
    dispatch_to_arrival_p90_ms: float | None
    target_ms: int | None
    target_decided: int
    within_target: int


def _params(
    live: Sequence[IncidentFacts],
    *,
    starts_ms: Sequence[int],
    to_ms: int,
    area: str | None,
    targets_ms: Mapping[str, int],
    now_ms: int,
) -> dict[str, Any]:
    return {
        "refs": [f.ref for f in live], "areas": [f.area for f in live],
        "grades": [f.grade for f in live], "statuses": [f.status for f in live],
        "received": [f.received_ms for f in live], "dispatched": [f.dispatched_ms for f in live],
        "on_scene": [f.on_scene_ms for f in live],
        "from_ms": starts_ms[0], "to_ms": to_ms, "bounds": list(starts_ms), "area": area,
        "target_grades": list(targets_ms), "target_ms": list(targets_ms.values()),
        "closed": IncidentStatus.CLOSED.value, "final": sorted(s.value for s in FINAL),
        "now_ms": now_ms,
    }  # fmt: skip


async def kpi_rows(
    conn: Connection,
    live: Sequence[IncidentFacts],
    *,
    starts_ms: Sequence[int],
    to_ms: int,
    area: str | None,
    targets_ms: Mapping[str, int],
    now_ms: int,
) -> list[KpiRow]:
    """The groups of `[starts_ms[0], to_ms)`, by period (`starts_ms`: each period's first
    instant, ascending), area and grade; `live`: the incidents Redis holds in the window, which
    hide their archived copies; `area` None: every area; `targets_ms`: the grades that have an
    attendance target; `now_ms`: when an open incident's target has passed."""
    params = _params(
        live, starts_ms=starts_ms, to_ms=to_ms, area=area, targets_ms=targets_ms, now_ms=now_ms
    )
    rows = await (await conn.execute(_KPIS, params)).fetchall()
    # width_bucket counts from 1 (0 would be before the first bound, which the window excludes).
    return [KpiRow(int(r[0]) - 1, *r[1:]) for r in rows]
