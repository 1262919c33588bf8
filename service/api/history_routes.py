"""The history store over HTTP: a unit's history and the audit trail (supervisors only); the
archived incidents' search is `GET /v1/incidents?status=closed...` (incident_routes.py).

Every route here needs PostgreSQL: without CAD_DATABASE_URL, or while it is down, it answers
503 naming `postgresql`; dispatch never waits for it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BeforeValidator

from cad.tokens import Role
from history.queries import (
    AUDIT_CURSOR,
    INCIDENT_CURSOR,
    AuditFilter,
    AuditRow,
    search_audit,
)
from history.store import Connection, not_configured
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, UNAVAILABLE, documented
from service.api.history_schemas import AuditEntries, AuditEntry
from service.auth.deps import Caller, Reading, require
from service.runtime import Runtime

router = APIRouter(tags=["history"])
Supervising = Annotated[Caller, Depends(require(Role.SUPERVISOR))]
_NAME = r"^[A-Za-z0-9_.:@()-]{1,64}$"
# A code (a type, a closing code) and free text: what PostgreSQL can hold, no control characters.
CODE = r"^[A-Za-z0-9_.-]{1,64}$"
TEXT = r"^[^\x00-\x1f\x7f]*$"
# An ISO 8601 date-time with its offset, as text: never a number (pydantic would take 0.5 as
# seconds since the epoch) and never a local time of unknown zone.
_ISO_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$"
)


def _iso_time(value: object) -> object:
    if not isinstance(value, str) or not _ISO_TIME.match(value):
        raise ValueError("an ISO 8601 date-time with its offset, such as 2026-04-12T13:20:00Z")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_time)]
IncidentCursor = Query(
    default=None, pattern=INCIDENT_CURSOR, description="the previous page's `next_cursor`"
)
AuditCursor = Query(
    default=None, pattern=AUDIT_CURSOR, description="the previous page's `next_cursor`"
)
Limit = Query(default=100, ge=1, le=1_000)


@asynccontextmanager
async def history_of(runtime: Runtime) -> AsyncIterator[Connection]:
    """A connection to the history store; UnavailableError (503) if it is not configured or
    cannot be reached."""
    if runtime.history is None:
        raise not_configured()
    async with runtime.history.connection() as conn:
        yield conn


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        area=row.area, id=row.entry_id, ts=row.ts, kind=row.kind, ref=row.ref,
        callsign=row.callsign, actor=row.actor, fields=row.fields,
    )  # fmt: skip


async def _audit_page(
    runtime: Runtime, where: AuditFilter, limit: int, cursor: str | None
) -> AuditEntries:
    async with history_of(runtime) as conn:
        # The cursor's pattern was checked at the edge: it reads back as a key.
        rows, next_cursor = await search_audit(conn, where, limit=limit, cursor=cursor)
    return AuditEntries(entries=[_entry(r) for r in rows], next_cursor=next_cursor)


@router.get("/v1/units/{callsign}/history", responses=documented(*AUTHENTICATED, UNAVAILABLE))
async def unit_history(
    _: Reading,
    runtime: RuntimeDep,
    callsign: Annotated[str, Path(pattern=_NAME)],
    from_: Annotated[IsoTime | None, Query(alias="from")] = None,
    to: Annotated[IsoTime | None, Query()] = None,
    limit: int = Limit,
    cursor: str | None = AuditCursor,
) -> AuditEntries:
    """Everything archived about one unit (status changes, taskings, assignments), newest
    first; the last few seconds are in Redis until the archiver's next round."""
    where = AuditFilter(callsign=callsign, ts_from=from_, ts_to=to)
    return await _audit_page(runtime, where, limit, cursor)


@router.get("/v1/audit", responses=documented(*AUTHENTICATED, UNAVAILABLE))
async def audit(
    _: Supervising,
    runtime: RuntimeDep,
    actor: str | None = Query(
        default=None,
        pattern=_NAME,
        description="as the audit names them (`user:PC1234(dispatcher)`), or the id alone",
    ),
    callsign: str | None = Query(default=None, pattern=_NAME),
    ref: str | None = Query(default=None, pattern=TEXT, max_length=64),
    from_: Annotated[IsoTime | None, Query(alias="from")] = None,
    to: Annotated[IsoTime | None, Query()] = None,
    limit: int = Limit,
    cursor: str | None = AuditCursor,
) -> AuditEntries:
    """The archived audit trail, newest first: who did what, to which unit and incident."""
    where = AuditFilter(actor=actor, callsign=callsign, ref=ref, ts_from=from_, ts_to=to)
    return await _audit_page(runtime, where, limit, cursor)
