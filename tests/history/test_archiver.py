"""The archiver against real Redis and PostgreSQL: what is over moves to the history store once,
and Redis forgets it only after the commit."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from history.lua.purge_incident import purge_incident
from history.rows import hash_digest
from history.store import HistoryStore
from tests.history.making import archiver_for, open_incident, refer


async def _count(store: HistoryStore, table: str) -> int:
    async with store.connection() as conn:
        row = await (await conn.execute(f"SELECT count(*) FROM {table}".encode())).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_final_incident_is_archived_with_its_calls_and_trail_then_purged(
    history_app: FastAPI, history_client: httpx.AsyncClient, redis: Redis, store: HistoryStore
) -> None:
    done_ref = await open_incident(history_client, "a1")
    open_ref = await open_incident(history_client, "a2", east_m=5_000)
    await refer(history_client, done_ref)
    open_area = await redis.hget(GlobalKeys().incident_area, open_ref)
    stream = AreaKeys("CW").audit
    areas = await redis.smembers(GlobalKeys().areas)
    entries_before = sum([await redis.xlen(AreaKeys(a).audit) for a in areas])

    archiver = archiver_for(redis, store)
    first = await archiver.archive_once()

    assert first.audit_rows == entries_before
    assert first.incidents_archived == 1
    assert first.incidents_purged == 1
    assert sum(first.trimmed.values()) == entries_before
    async with store.connection() as conn:
        row = await (
            await conn.execute(
                "SELECT status, area, record->>'close_note', calls FROM incidents WHERE ref = %s",
                (done_ref,),
            )
        ).fetchone()
    assert row is not None
    status, area, note, calls = row
    assert (status, area, note) == ("referred", "CW", "to Action Fraud")
    assert [c["call_id"] for c in calls] == ["a1"]
    assert "cli" not in calls[0]
    assert "cli_hash" not in calls[0]
    # Gone from Redis, but for the open one; the stream keeps only what came after the commit.
    assert not await redis.exists(AreaKeys("CW").incident(done_ref))
    assert await redis.hget(GlobalKeys().incident_area, done_ref) is None
    assert await redis.exists(AreaKeys(open_area).incident(open_ref))
    remaining = await redis.xrange(stream)
    assert [f["type"] for _, f in remaining] == ["incident_archived"]
    # The archived one still answers, in the same shape, with its whole chronology.
    detail = await history_client.get(f"/v1/incidents/{done_ref}")
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["incident"]["status"] == "referred"
    kinds = [e["type"] for e in body["chronology"]]
    assert kinds[0] == "incident_created"
    assert "incident_referred" in kinds
    assert body["calls"][0]["call_id"] == "a1"


async def test_archiving_twice_adds_nothing_even_from_a_lost_checkpoint(
    history_app: FastAPI, history_client: httpx.AsyncClient, redis: Redis, store: HistoryStore
) -> None:
    for n in range(5):
        ref = await open_incident(history_client, f"t{n}", east_m=4_000 * n)
        await refer(history_client, ref)
    archiver = archiver_for(redis, store)
    await archiver.archive_once()
    await archiver.archive_once()
    audit, incidents = await _count(store, "audit_entries"), await _count(store, "incidents")
    assert incidents == 5
    # The purges' own entries came after the first round: the second archived them.
    async with store.connection() as conn:
        await conn.execute("UPDATE archive_checkpoints SET last_ms = 0, last_seq = 0")
    # No live window: the stream was trimmed, so re-reading from nothing finds what is left.
    again = await archiver.archive_once()
    assert await _count(store, "audit_entries") == audit
    assert await _count(store, "incidents") == 5
    assert again.incidents_archived == 0


async def test_two_archivers_at_once_share_the_work_without_doubling(
    history_app: FastAPI, history_client: httpx.AsyncClient, redis: Redis, database_url: str
) -> None:
    refs = []
    for n in range(8):
        ref = await open_incident(history_client, f"c{n}", east_m=3_000 * n)
        await refer(history_client, ref)
        refs.append(ref)
    areas = await redis.smembers(GlobalKeys().areas)
    entries = sum([await redis.xlen(AreaKeys(a).audit) for a in areas])
    # Two replicas' archivers, each with its own pool, on the same Redis and database.
    stores = [HistoryStore(database_url, timeout_s=3.0) for _ in range(2)]
    for one in stores:
        await one.open()
    try:
        rounds = await asyncio.gather(
            *(archiver_for(redis, one, batch=2).archive_once() for one in stores)
        )
        # Each purge appended an `incident_archived` entry, which either may have taken already:
        # one more round takes the rest.
        await archiver_for(redis, stores[0]).archive_once()
        audit = await _count(stores[0], "audit_entries")
        archived = await _count(stores[0], "incidents")
    finally:
        for one in stores:
            await one.close()
    assert audit == entries + len(refs)
    assert archived == len(refs)
    # An incident mentioned again by a batch the other archiver took later is copied again (an
    # upsert: still one row); each is purged from Redis once.
    assert sum(r.incidents_archived for r in rounds) >= len(refs)
    assert sum(r.incidents_purged for r in rounds) == len(refs)


async def test_an_open_incident_s_trimmed_entries_come_back_from_the_history_store(
    history_app: FastAPI, history_client: httpx.AsyncClient, redis: Redis, store: HistoryStore
) -> None:
    ref = await open_incident(history_client, "long-open", kind="lost_property")
    before = (await history_client.get(f"/v1/incidents/{ref}")).json()["chronology"]
    assert [e["type"] for e in before] == ["incident_created"]
    # No live window: the archiver trims the stream to nothing; the incident stays open.
    await archiver_for(redis, store).archive_once()
    area = await redis.hget(GlobalKeys().incident_area, ref)
    assert await redis.xlen(AreaKeys(area).audit) == 0
    graded = await history_client.post(
        f"/v1/incidents/{ref}/grade", json={"thrive": {"threat": "low"}}
    )
    assert graded.status_code == 200, graded.text

    detail = await history_client.get(f"/v1/incidents/{ref}")
    kinds = [e["type"] for e in detail.json()["chronology"]]
    assert kinds == ["incident_created", "incident_graded"]
    live = await history_client.get(f"/v1/live/incidents/{ref}/chronology")
    assert live.status_code == 200, live.text
    assert [e["type"] for e in live.json()["entries"]] == kinds


async def test_the_purge_removes_only_the_hash_that_was_archived(
    history_client: httpx.AsyncClient, redis: Redis
) -> None:
    ref = await open_incident(history_client, "p1", kind="lost_property")
    await refer(history_client, ref)
    area = await redis.hget(GlobalKeys().incident_area, ref)
    key = AreaKeys(area).incident(ref)
    archived = hash_digest(await redis.hgetall(key))
    # Changed after it was copied (a result amended, a remark), its entry not archived yet.
    await redis.hset(key, "close_note", "amended after the copy")
    kept = await purge_incident(redis, area=area, ref=ref, digest=archived, now_ms=1)
    assert kept == ("changed", "changed since it was archived")
    assert await redis.exists(key)
    again = hash_digest(await redis.hgetall(key))
    assert await purge_incident(redis, area=area, ref=ref, digest=again, now_ms=1) == ("purged", "")
    assert not await redis.exists(key)
    assert not await redis.exists(AreaKeys(area).incident_calls(ref))
    assert await purge_incident(redis, area=area, ref=ref, digest=again, now_ms=1) == (
        "missing",
        "",
    )
