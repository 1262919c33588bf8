"""Reading the history store: archived incidents by filters (keyset pages, newest first), one
archived incident with its chronology, and audit entries (by actor, callsign, ref, time).

A page's cursor is the sort key of its last row (opaque to clients, though plain); the next page
is what sorts after it, so rows archived meanwhile never shift a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from cad.errors import CadError
from history.store import Connection


class BadCursorError(CadError):
    """A cursor this store did not hand out."""


# A page's cursor is its last row's sort key, written plainly; each pattern admits only what
# reads back as a key (times below the year 5000), so the API can say it in its schema.
INCIDENT_CURSOR = r"^(\d{1,14})\.([^\x00-\x1f\x7f]{1,64})$"
AUDIT_CURSOR = r"^(\d{1,17})\.([A-Za-z0-9_-]{1,16})\.(\d{1,14})\.(\d{1,15})$"


def _read_cursor(pattern: str, cursor: str) -> tuple[str, ...]:
    match = re.match(pattern, cursor)
    if match is None:
        raise BadCursorError("not a cursor this service handed out")
    return match.groups()


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(frozen=True)
class IncidentFilter:
    """What an incident search asks for; None: any."""

    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    area: str | None = None
    incident_type: str | None = None
    grade: str | None = None
    result: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class ArchivedIncident:
    """An archived incident: its stored hash and its calls (no caller number)."""

    record: dict[str, str]
    calls: list[dict[str, str]]


async def search_incidents(
    conn: Connection, where: IncidentFilter, *, limit: int, cursor: str | None
) -> tuple[list[ArchivedIncident], str | None]:
    """A page of archived incidents, newest created first, and the next page's cursor."""
    conditions: list[sql.Composable] = []
    params: list[Any] = []
    columns = (
        ("status", where.status), ("area", where.area), ("incident_type", where.incident_type),
        ("grade", where.grade), ("result", where.result),
    )  # fmt: skip
    for column, value in columns:
        if value is not None:
            conditions.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if where.created_from is not None:
        conditions.append(sql.SQL("created_at >= %s"))
        params.append(where.created_from)
    if where.created_to is not None:
        conditions.append(sql.SQL("created_at < %s"))
        params.append(where.created_to)
    if where.q:
        conditions.append(sql.SQL("search @@ plainto_tsquery('simple', %s)"))
        params.append(where.q)
    if cursor is not None:
        created_ms, ref = _read_cursor(INCIDENT_CURSOR, cursor)
        conditions.append(sql.SQL("(created_at, ref) < (%s, %s)"))
        params += [_time(int(created_ms)), ref]
    query = sql.SQL(
        "SELECT record, calls, created_at, ref FROM incidents WHERE {}"
        " ORDER BY created_at DESC, ref DESC LIMIT %s"
    ).format(sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true"))
    found = await (await conn.execute(query, [*params, limit + 1])).fetchall()
    page = [ArchivedIncident(row[0], row[1]) for row in found[:limit]]
    last = found[limit - 1] if len(found) > limit else None
    return page, None if last is None else f"{_ms(last[2])}.{last[3]}"


async def archived_incident(conn: Connection, ref: str) -> ArchivedIncident | None:
    """One archived incident, or None."""
    row = await (
        await conn.execute("SELECT record, calls FROM incidents WHERE ref = %s", (ref,))
    ).fetchone()
    return None if row is None else ArchivedIncident(row[0], row[1])


async def chronology(conn: Connection, ref: str) -> list[dict[str, str]]:
    """Every archived audit entry about the incident, oldest first, with its stream id (the
    shape of the chronology Redis gives)."""
    found = await (
        await conn.execute(
            "SELECT entry_ms, entry_seq, fields FROM audit_entries WHERE refs @> ARRAY[%s]"
            " ORDER BY entry_ms, entry_seq",
            (ref,),
        )
    ).fetchall()
    return [{"id": f"{r[0]}-{r[1]}", **r[2]} for r in found]


@dataclass(frozen=True)
class AuditFilter:
    """What an audit search asks for; None: any."""

    actor: str | None = None
    callsign: str | None = None
    ref: str | None = None
    ts_from: datetime | None = None
    ts_to: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    """One archived audit entry."""

    area: str
    entry_id: str
    ts: datetime
    kind: str
    ref: str | None
    callsign: str | None
    actor: str | None
    fields: dict[str, str]


async def search_audit(
    conn: Connection, where: AuditFilter, *, limit: int, cursor: str | None
) -> tuple[list[AuditRow], str | None]:
    """A page of audit entries, newest first, and the next page's cursor."""
    conditions: list[sql.Composable] = []
    params: list[Any] = []
    if where.actor is not None:
        # The audit names a person `user:PC1234(dispatcher)`: the warrant number alone finds
        # them in every role.
        conditions.append(sql.SQL("(actor = %s OR actor LIKE %s)"))
        escaped = where.actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params += [where.actor, f"user:{escaped}(%"]
    if where.callsign is not None:
        conditions.append(sql.SQL("callsign = %s"))
        params.append(where.callsign)
    if where.ref is not None:
        conditions.append(sql.SQL("refs @> ARRAY[%s]"))
        params.append(where.ref)
    if where.ts_from is not None:
        conditions.append(sql.SQL("ts >= %s"))
        params.append(where.ts_from)
    if where.ts_to is not None:
        conditions.append(sql.SQL("ts < %s"))
        params.append(where.ts_to)
    if cursor is not None:
        ts_us, area, ms, seq = _read_cursor(AUDIT_CURSOR, cursor)
        conditions.append(sql.SQL("(ts, area, entry_ms, entry_seq) < (%s, %s, %s, %s)"))
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(ts_us))
        params += [moment, area, int(ms), int(seq)]
    query = sql.SQL(
        "SELECT area, entry_ms, entry_seq, ts, kind, ref, callsign, actor, fields"
        " FROM audit_entries WHERE {}"
        " ORDER BY ts DESC, area DESC, entry_ms DESC, entry_seq DESC LIMIT %s"
    ).format(sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true"))
    found = await (await conn.execute(query, [*params, limit + 1])).fetchall()
    page = [
        AuditRow(r[0], f"{r[1]}-{r[2]}", r[3], r[4], r[5], r[6], r[7], r[8]) for r in found[:limit]
    ]
    if len(found) <= limit:
        return page, None
    last = found[limit - 1]
    ts_us = (last[3] - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return page, f"{ts_us}.{last[0]}.{last[1]}.{last[2]}"
