"""The demo's figures from the history store: what the shift did, counted from the audit trail
the archiver moved to PostgreSQL (every state change is an audit entry), and what it archived."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg

# One pass over the demo's audit trail: each figure is a filter over the entries.
_AUDIT_FIGURES = """
SELECT
  count(*) FILTER (WHERE kind = 'incident_created'),
  count(*) FILTER (WHERE kind = 'incident_graded'),
  count(*) FILTER (WHERE kind = 'call_linked'),
  count(*) FILTER (WHERE kind = 'call_linked' AND actor LIKE 'user:%'),
  -- a unit of its own area, or one lent by another (mutual aid)
  count(DISTINCT ref) FILTER (WHERE kind IN ('unit_assigned', 'unit_borrowed')),
  count(*) FILTER (WHERE kind = 'remark'),
  count(*) FILTER (WHERE kind = 'unit_assigned' AND fields ? 'from_ref'),
  count(*) FILTER (WHERE kind = 'unit_status' AND fields->>'status' = 'available'
                   AND coalesce(fields->>'ref', '') <> ''),
  count(*)
FROM audit_entries
"""
_RESULTS = """
SELECT fields->>'category', count(*) FROM audit_entries
WHERE kind = 'incident_closed' GROUP BY 1
"""


@dataclass(frozen=True)
class ShiftCounts:
    """What the audit trail and the archived incidents say the shift did."""

    incidents: int
    graded: int
    linked: int
    linked_by_hand: int  # by a person (`user:...`), not the intake's automatic link
    dispatched: int
    remarks: int
    diversions: int
    units_cleared: int
    audit_entries: int
    results: dict[str, int]
    archived: dict[str, int]

    @property
    def closed(self) -> int:
        return sum(self.results.values())


async def shift_counts(database_url: str) -> tuple[ShiftCounts, dict[str, str]]:
    """The shift's figures, and the status of each archived incident (by ref)."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        figures = await (await conn.execute(_AUDIT_FIGURES)).fetchone()
        results = await (await conn.execute(_RESULTS)).fetchall()
        rows = await (await conn.execute("SELECT ref, status FROM incidents")).fetchall()
    row = [int(n) for n in figures] if figures else [0] * 9
    counts = ShiftCounts(
        incidents=row[0], graded=row[1], linked=row[2], linked_by_hand=row[3],
        dispatched=row[4], remarks=row[5], diversions=row[6], units_cleared=row[7],
        audit_entries=row[8],
        results={str(category): int(n) for category, n in results},
        archived=dict(Counter(str(status) for _, status in rows)),
    )  # fmt: skip
    return counts, {str(ref): str(status) for ref, status in rows}
