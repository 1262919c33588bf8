"""The history store over HTTP: a unit's history and the audit trail (supervisors only); the
archived incidents' search is `GET /v1/incidents?status=closed...` (incident_routes.py).

Every route here needs PostgreSQL: without CAD_DATABASE_URL, or while it is down, it answers
503 naming `postgresql`; dispatch never waits for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.exceptions import RequestValidationError

from cad.tokens import Role
from history.queries import AuditFilter, AuditRow, BadCursorError, search_audit
from history.store import Connection, not_configured
from service.api.deps import RuntimeDep
from service.api.error_docs import AUTHENTICATED, UNAVAILABLE, documented
from service.api.history_schemas import AuditEntries, AuditEntry
from service.auth.deps import Caller, Reading, require
from service.runtime import Runtime

router = APIRouter(tags=["history"])
Supervising = Annotated[Caller, Depends(require(Role.SUPERVISOR))]
_NAME = r"^[A-Za-z0-9_.:@()-]{1,64}$"
Cursor = Query(default=None, max_length=512, description="the previous page's `next_cursor`")
Limit = Query(default=100, ge=1, le=1_000)


@asynccontextmanager
async def history_of(runtime: Runtime) -> AsyncIterator[Connection]:
    """A connection to the history store; UnavailableError (503) if it is not configured or
    cannot be reached."""
    if runtime.history is None:
        raise not_configured()
    async with runtime.history.connection() as conn:
        yield conn


def bad_cursor(error: BadCursorError) -> RequestValidationError:
    """A 422 naming the `cursor` query parameter and why."""
    return RequestValidationError(
        [{"loc": ("query", "cursor"), "msg": str(error), "type": "value_error"}]
    )


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        area=row.area, id=row.entry_id, ts=row.ts, kind=row.kind, ref=row.ref,
        callsign=row.callsign, actor=row.actor, fields=row.fields,
    )  # fmt: skip


async def _audit_page(
    runtime: Runtime, where: AuditFilter, limit: int, cursor: str | None
) -> AuditEntries:
    async with history_of(runtime) as conn:
        try:
            rows, next_cursor = await search_audit(conn, where, limit=limit, cursor=cursor)
        except BadCursorError as error:
            raise bad_cursor(error) from error
    return AuditEntries(entries=[_entry(r) for r in rows], next_cursor=next_cursor)


@router.get("/v1/units/{callsign}/history", responses=documented(*AUTHENTICATED, UNAVAILABLE))
async def unit_history(
    _: Reading,
    runtime: RuntimeDep,
    callsign: str,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
    limit: int = Limit,
    cursor: str | None = Cursor,
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
    ref: str | None = Query(default=None, max_length=64),
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: Annotated[datetime | None, Query()] = None,
    limit: int = Limit,
    cursor: str | None = Cursor,
) -> AuditEntries:
    """The archived audit trail, newest first: who did what, to which unit and incident."""
    where = AuditFilter(actor=actor, callsign=callsign, ref=ref, ts_from=from_, ts_to=to)
    return await _audit_page(runtime, where, limit, cursor)
