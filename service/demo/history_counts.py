"""The demo's figures from the history store: what the archiver moved to PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class ArchivedCounts:
    """Incidents archived by status, and audit entries archived."""

    by_status: dict[str, int]
    audit_entries: int

    @property
    def incidents(self) -> int:
        return sum(self.by_status.values())


async def archived_counts(
    database_url: str, *, in_redis: set[str]
) -> tuple[ArchivedCounts, Counter[str]]:
    """What PostgreSQL holds, and the statuses of the archived incidents Redis no longer
    holds (`in_redis`: the refs it still does), to count beside Redis's own."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (await conn.execute("SELECT ref, status FROM incidents")).fetchall()
        audit = await (await conn.execute("SELECT count(*) FROM audit_entries")).fetchone()
    by_status = Counter(str(status) for _, status in rows)
    gone = Counter(str(status) for ref, status in rows if ref not in in_redis)
    return ArchivedCounts(dict(by_status), int(audit[0]) if audit else 0), gone
