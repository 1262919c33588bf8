"""The archiver: copies what is over from Redis into the history store, then lets Redis forget
it, so that Redis holds the hot state only and stays bounded.

Each round, for every area (and for the alarms' force-wide stream, kept as the source `alarms`):
1. Audit entries after the area's checkpoint, a batch per transaction: the rows (keyed by area
   and stream id, ON CONFLICT DO NOTHING), the incidents they mention marked `dirty` in
   `archive_pending`, and the new checkpoint, all committed together. Only after the commit is
   the stream trimmed (XTRIM MINID), and never within the last `keep_audit_s`.
   A result amended after its incident was purged from Redis (`result_amended`, written by
   the amendment of an archived incident) is applied to the incident's row in the same
   transaction.
2. Dirty incidents are read from Redis: a final one (`FINAL`: closed, cancelled, referred,
   transferred) is upserted with its calls; an open one waits for its next audit entry to be
   dirty again.
3. Incidents archived more than `incident_grace_s` ago are removed from Redis by a script that
   first checks their hash is still the one archived (its digest: history/lua/purge_incident.lua),
   then dropped from the ref directory and from `archive_pending`.

A kill at any point loses nothing (the checkpoint moves only with the rows) and doubles nothing
(every write is keyed). Several replicas may run it at once: an area's checkpoint row and each
pending incident are taken FOR UPDATE SKIP LOCKED, so each is worked by one at a time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from cad.incident_record import FINAL, parse_incident
from cad.keys import AlarmKeys, AreaKeys, GlobalKeys
from cad.logs import log
from history.lua.purge_incident import purge_incident
from history.rows import (
    StreamId,
    audit_row,
    hash_digest,
    incident_row,
    public_call,
    refs_of,
)
from history.store import Connection, HistoryStore
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.history")

_INSERT_AUDIT = (
    "INSERT INTO audit_entries"
    " (area, entry_ms, entry_seq, ts, kind, ref, refs, callsign, actor, fields)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
_MARK_DIRTY = (
    "INSERT INTO archive_pending (ref, area) VALUES (%s, %s)"
    " ON CONFLICT (ref) DO UPDATE SET dirty = true"
)
_UPSERT_INCIDENT = (
    "INSERT INTO incidents (ref, area, status, grade, incident_type, result, created_at,"
    " closed_at, units, record, calls, search)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, to_tsvector('simple', %s))"
    " ON CONFLICT (ref) DO UPDATE SET area = excluded.area, status = excluded.status,"
    " grade = excluded.grade, incident_type = excluded.incident_type, result = excluded.result,"
    " created_at = excluded.created_at, closed_at = excluded.closed_at, units = excluded.units,"
    " record = excluded.record, calls = excluded.calls, search = excluded.search,"
    " archived_at = now()"
)
_AMEND_RESULT = (
    "UPDATE incidents SET result = %s,"
    " record = record || jsonb_build_object('close_code', %s::text, 'result_amended_ms', %s::text),"
    " search = search || to_tsvector('simple', %s)"
    " WHERE ref = %s AND coalesce((record->>'result_amended_ms')::bigint, 0) <= %s::bigint"
)
# The `area` of the alarms' audit entries in the history store (their stream is force-wide).
ALARM_SOURCE = "alarms"
# Incidents looked at in one transaction.
_INCIDENT_BATCH = 200


@dataclass
class ArchiveRound:
    """What one round did."""

    audit_rows: int = 0
    incidents_archived: int = 0
    incidents_purged: int = 0
    trimmed: dict[str, int] = field(default_factory=dict)


class Archiver:
    """Moves what is over from Redis to the history store (see the module's docstring)."""

    def __init__(
        self,
        redis: AsyncRedis,
        store: HistoryStore,
        *,
        batch: int,
        keep_audit_s: float,
        incident_grace_s: float,
        max_batches_per_area: int = 20,
    ) -> None:
        self._redis = redis
        self._store = store
        self._batch = batch
        self._keep_ms = int(keep_audit_s * 1000)
        self._grace_ms = int(incident_grace_s * 1000)
        # Bounds one round, so that a big backlog is worked off in steps that each show health.
        self._max_batches = max_batches_per_area

    async def archive_once(self) -> ArchiveRound:
        """One round over every area: audit entries, then incidents, then purges."""
        done = ArchiveRound()
        areas = sorted(await self._redis.smembers(GlobalKeys().areas))
        # Each area's stream, and the alarms' (raised, acknowledged by whom, cleared): kept in
        # the history under the source name `alarms`.
        streams = [(area, AreaKeys(area).audit) for area in areas]
        streams.append((ALARM_SOURCE, AlarmKeys().audit))
        for source, stream in streams:
            for _ in range(self._max_batches):
                rows = await self._audit_batch(source, stream, done)
                if rows < self._batch:
                    break
        while await self._archive_dirty(done) == _INCIDENT_BATCH:
            pass
        while await self._purge_due(done) == _INCIDENT_BATCH:
            pass
        if done.audit_rows or done.incidents_archived or done.incidents_purged:
            log(
                logger, logging.INFO, "history_archived", audit_rows=done.audit_rows,
                incidents=done.incidents_archived, purged=done.incidents_purged,
            )  # fmt: skip
        return done

    async def _audit_batch(self, area: str, stream: str, done: ArchiveRound) -> int:
        """Archive the next batch of an audit stream (an area's, or the alarms': `area` names
        where it came from); how many entries it took."""
        async with self._store.connection() as conn:
            async with conn.transaction():
                last = await _checkpoint(conn, area)
                if last is None:  # another archiver holds this area now
                    return 0
                entries = await self._redis.xrange(
                    stream, min=f"({last}", max="+", count=self._batch
                )
                if entries:
                    await _write_audit(conn, area, entries)
                    last = StreamId.parse(entries[-1][0])
                    await conn.execute(
                        "UPDATE archive_checkpoints SET last_ms = %s, last_seq = %s,"
                        " updated_at = now() WHERE area = %s",
                        (last.ms, last.seq, area),
                    )
            # Committed: what is archived may go, but the live window stays.
            floor = StreamId(int(time.time() * 1000) - self._keep_ms, 0)
            # MINID keeps its own id and after: the first entry not archived yet.
            after = StreamId(last.ms, last.seq + 1)
            trimmed = int(
                await self._redis.xtrim(stream, minid=str(min(after, floor)), approximate=False)
            )
        if trimmed:
            done.trimmed[area] = done.trimmed.get(area, 0) + trimmed
        done.audit_rows += len(entries)
        return len(entries)

    async def _archive_dirty(self, done: ArchiveRound) -> int:
        """Copy the final ones among the dirty incidents; how many were looked at."""
        async with self._store.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "SELECT ref, area FROM archive_pending WHERE dirty ORDER BY ref LIMIT %s"
                " FOR UPDATE SKIP LOCKED",
                (_INCIDENT_BATCH,),
            )
            listed: list[tuple[str, str]] = [(r[0], r[1]) for r in await cursor.fetchall()]
            if not listed:
                return 0
            # An entry may be written in another area than its incident's (a lent unit's):
            # the ref directory says where the incident is.
            homes = await self._redis.hmget(GlobalKeys().incident_area, [r for r, _ in listed])
            pending = [(ref, home or area) for (ref, area), home in zip(listed, homes, strict=True)]
            hashes = await self._read_hashes(pending)
            gone, still_open, final = [], [], []
            for (ref, area), fields in zip(pending, hashes, strict=True):
                if not fields:
                    gone.append(ref)
                elif fields.get("status") in FINAL:
                    final.append((ref, area, fields))
                else:
                    still_open.append(ref)
            rows, closed = [], []
            for ref, area, fields in final:
                record = parse_incident(area, ref, fields)
                calls = await self._read_calls(area, ref)
                row = incident_row(record, fields, calls)
                rows.append((*row[:9], Jsonb(row[9]), Jsonb(row[10]), row[11]))
                closed.append(
                    (record.closed_ms or record.created_ms, hash_digest(fields), area, ref)
                )
            async with conn.cursor() as cur:
                if rows:
                    await cur.executemany(_UPSERT_INCIDENT, rows)
                    await cur.executemany(
                        "UPDATE archive_pending SET dirty = false, copied_closed_ms = %s,"
                        " copied_digest = %s, area = %s WHERE ref = %s",
                        closed,
                    )
                if still_open:
                    await cur.execute(
                        "UPDATE archive_pending SET dirty = false WHERE ref = ANY(%s)",
                        (still_open,),
                    )
                if gone:
                    await cur.execute("DELETE FROM archive_pending WHERE ref = ANY(%s)", (gone,))
        done.incidents_archived += len(rows)
        return len(pending)

    async def _purge_due(self, done: ArchiveRound) -> int:
        """Remove from Redis the archived incidents past their grace; how many were looked at."""
        now_ms = int(time.time() * 1000)
        async with self._store.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "SELECT ref, area, copied_digest FROM archive_pending"
                " WHERE NOT dirty AND copied_closed_ms <= %s"
                " ORDER BY copied_closed_ms LIMIT %s FOR UPDATE SKIP LOCKED",
                (now_ms - self._grace_ms, _INCIDENT_BATCH),
            )
            due: list[tuple[str, str, str]] = [(r[0], r[1], r[2]) for r in await cursor.fetchall()]
            removed, changed = [], []
            for ref, area, digest in due:
                purged = await purge_incident(
                    self._redis, area=area, ref=ref, digest=digest, now_ms=now_ms
                )
                if purged.outcome == "changed":
                    changed.append(ref)
                    log(logger, logging.INFO, "history_purge_skipped", incident_ref=ref,
                        reason=purged.reason)  # fmt: skip
                else:
                    removed.append(ref)
            if removed:
                # The ref directory is global (no area slot): outside the script, before the
                # pending row goes, so a kill in between repeats it.
                await self._redis.hdel(GlobalKeys().incident_area, *removed)
                await conn.execute("DELETE FROM archive_pending WHERE ref = ANY(%s)", (removed,))
            if changed:
                await conn.execute(
                    "UPDATE archive_pending SET dirty = true WHERE ref = ANY(%s)", (changed,)
                )
        done.incidents_purged += len(removed)
        return len(due)

    async def _read_hashes(self, pending: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for ref, area in pending:
                pipe.hgetall(AreaKeys(area).incident(ref))
            found: list[dict[str, str]] = await pipe.execute()
        return found

    async def _read_calls(self, area: str, ref: str) -> list[dict[str, str]]:
        keys = AreaKeys(area)
        ids = await self._redis.zrange(keys.incident_calls(ref), 0, -1)
        async with self._redis.pipeline(transaction=False) as pipe:
            for call_id in ids:
                pipe.hgetall(keys.call(call_id))
            records: list[dict[str, str]] = await pipe.execute()
        # A call whose caller data has expired is still named.
        return [
            public_call(r) if r else {"call_id": call_id}
            for call_id, r in zip(ids, records, strict=True)
        ]


async def _checkpoint(conn: Connection, area: str) -> StreamId | None:
    """The area's last archived stream id, locked for this transaction; None if another
    archiver holds it."""
    await conn.execute(
        "INSERT INTO archive_checkpoints (area) VALUES (%s) ON CONFLICT DO NOTHING", (area,)
    )
    cursor = await conn.execute(
        "SELECT last_ms, last_seq FROM archive_checkpoints WHERE area = %s FOR UPDATE SKIP LOCKED",
        (area,),
    )
    row = await cursor.fetchone()
    return None if row is None else StreamId(int(row[0]), int(row[1]))


async def _write_audit(conn: Connection, area: str, entries: list[Any]) -> None:
    rows, dirty, amended = [], {}, []
    for entry_id, fields in entries:
        row = audit_row(area, entry_id, fields)
        rows.append((*row[:9], Jsonb(row[9])))
        for ref in refs_of(fields):
            dirty[ref] = area
        if fields.get("type") == "result_amended":
            code, ts_ms = fields.get("code", ""), fields.get("ts_ms", "0")
            amended.append((code, code, ts_ms, code, fields.get("ref", ""), ts_ms))
    async with conn.cursor() as cur:
        await cur.executemany(_INSERT_AUDIT, rows)
        if dirty:
            await cur.executemany(_MARK_DIRTY, sorted(dirty.items()))
        if amended:
            # An incident Redis no longer holds is amended here only (the one it still holds
            # is copied again whole, as the entry marked it dirty): the latest amendment wins.
            await cur.executemany(_AMEND_RESULT, amended)
