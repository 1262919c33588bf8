"""GET /v1/events: the audit streams of every area as server-sent events, resumable by event id."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import WithJsonSchema
from redis.exceptions import RedisError

from cad.logs import log
from service.api.deps import RuntimeDep, UnreadableDep
from service.api.error_docs import AUTHENTICATED, HEADERS, UNAVAILABLE, documented
from service.auth.deps import StreamReading
from service.live import cursor, examples, frames
from service.live.feed import AuditFeed
from service.live.kpi_source import KpiSource
from service.live.positions import MovementTracker
from service.live.readmodel import known_areas, stream_heads
from service.live.state import shared_kpis

router = APIRouter(tags=["live map"])
logger = logging.getLogger("cad.live")

_KEEPALIVE_S = 15.0
_MOVES_EVERY_S = 3.0
_KPIS_EVERY_S = 10.0
# Longer than the KPI cache's age limit, so that the figures sent include the change.
_KPIS_AFTER_CHANGE_S = 2.0
# Fixes a little older than asked for are sent again: a device clock can lag the server's.
_MOVES_OVERLAP_MS = 1_000


# The cursor's grammar as clients are shown it (a string or nothing: never a JSON null, which a
# header cannot carry); `cursor.decode` applies it and says what is wrong.
_CURSOR = WithJsonSchema({"type": "string", "maxLength": 4096, "pattern": cursor.PATTERN})
# One event of the stream (OpenAPI 3.1: the schema of an event-stream describes each event).
_EVENT = {
    "type": "object",
    "description": (
        "`audit`: the entries after the cursor, each with the current incident and unit it "
        "names, `id` the cursor to resume from; `alarms`: alarm audit entries (`type` "
        "`alarm_raised`, `alarm_acknowledged` with `actor` and `note`, `alarm_cleared`), each "
        "with the `alarm` as it is now, `id` the cursor; `positions`: units that moved "
        "`[callsign, lon, lat, fix_ms]`; `kpis`: the figures of the last hour."
    ),
    "properties": {
        "event": {"type": "string", "enum": ["audit", "alarms", "positions", "kpis"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
        "id": {"type": "string", "pattern": cursor.PATTERN},
    },
    "required": ["event", "data"],
}


@router.get(
    "/v1/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": _EVENT, "example": examples.EVENT_STREAM}}
        },
        **documented(*AUTHENTICATED, *HEADERS, UNAVAILABLE),
    },
)
async def events(
    _: StreamReading,
    request: Request,
    runtime: RuntimeDep,
    unreadable: UnreadableDep,
    last_event_id: Annotated[str | None, Header(max_length=4096), _CURSOR] = None,
    from_: Annotated[str | None, Query(alias="from", max_length=4096), _CURSOR] = None,
    moves_since: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Audit entries in `audit` events (id = cursor), unit moves and KPIs; resume by Last-Event-ID.

    Without Last-Event-ID, `from` (the snapshot's cursor) says where to start; without either,
    the stream starts now. Unit moves are sent for fixes newer than `moves_since` (ms).
    """
    positions = _positions(last_event_id, from_)
    redis = runtime.redis
    # Read before the stream starts, whatever the cursor: without Redis the answer is a 503, not
    # a 200 stream that ends at once.
    areas = await known_areas(redis)
    if positions is None:
        positions = await stream_heads(redis, areas)
    feed = AuditFeed(redis, positions, unreadable)
    since = moves_since if moves_since is not None else int(time.time() * 1000)
    moves = MovementTracker(redis, since_ms=since - _MOVES_OVERLAP_MS)
    stream = _stream(request, feed, moves, shared_kpis(request.app, redis))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


def _positions(last_event_id: str | None, from_: str | None) -> dict[str, str] | None:
    # A bad cursor is refused like any other bad field: a 422 naming where it was and why. Both
    # are checked, though Last-Event-ID (a reconnection) wins over the `from` of the first one.
    header = _decoded(("header", "last-event-id"), last_event_id)
    query = _decoded(("query", "from"), from_)
    return header if header is not None else query


def _decoded(where: tuple[str, str], given: str | None) -> dict[str, str] | None:
    if given is None:
        return None
    try:
        return cursor.decode(given)
    except cursor.CursorError as exc:
        error = {"loc": where, "msg": str(exc), "type": "value_error", "input": given[:80]}
        raise RequestValidationError([error]) from exc


async def _stream(
    request: Request, feed: AuditFeed, moves: MovementTracker, kpis: KpiSource
) -> AsyncIterator[str]:
    log(logger, logging.INFO, "live_stream_opened", areas=len(feed.positions))
    try:
        async for text in _frames(request, feed, moves, kpis):
            yield text
    except (RedisError, OSError) as exc:
        # The browser reconnects by itself (retry: 1 s) and resumes from its last event id.
        log(logger, logging.WARNING, "live_stream_failed", error=str(exc))
    finally:
        log(logger, logging.INFO, "live_stream_closed")


async def _frames(
    request: Request, feed: AuditFeed, moves: MovementTracker, kpis: KpiSource
) -> AsyncIterator[str]:
    yield frames.retry()
    yield frames.comment("cursor " + cursor.encode(feed.positions))
    last_sent = next_moves = next_kpis = time.monotonic()
    # Each pass blocks at most `feed.block_ms`, so a departed client is noticed within a second.
    while not await request.is_disconnected():
        batch = await feed.next_batch()
        audit = [e for e in batch if e["area"] != cursor.ALARMS]
        alarms = [e for e in batch if e["area"] == cursor.ALARMS]
        if audit:
            # One event per batch: a burst costs the browser one parse, not one per entry, and
            # the id (the cursor after the batch's last entry) still resumes without a gap.
            yield frames.frame("audit", audit, event_id=feed.advance_past(audit))
        if alarms:
            # Its own event, after the audit's: each id covers only what was sent up to it.
            yield frames.frame("alarms", alarms, event_id=feed.advance_past(alarms))
        now = time.monotonic()
        if batch:
            last_sent = now
            # After a change the KPIs follow soon, not a full period later.
            next_kpis = min(next_kpis, now + _KPIS_AFTER_CHANGE_S)
        if now >= next_moves:
            next_moves = now + _MOVES_EVERY_S
            moved = await moves.moved()
            if moved:
                last_sent = now
                yield frames.frame("positions", moved)
        if now >= next_kpis:
            next_kpis = now + _KPIS_EVERY_S
            last_sent = now
            yield frames.frame("kpis", await kpis.current())
        if now - last_sent >= _KEEPALIVE_S:
            last_sent = now
            yield frames.comment("keepalive")
