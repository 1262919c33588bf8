"""The archiver killed with SIGKILL in the middle of a batch, as a separate process: restarted,
it neither loses nor doubles a row, and Redis forgets only what was committed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings
from history.store import APPLICATION_NAME, HistoryStore
from tests.helpers import eventually

TOTAL = 30_000
BATCH = 500


def _archiver(settings: Settings, database_url: str, root: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ, "PYTHONPATH": str(root), "CAD_REDIS_URL": settings.redis_url,
        "CAD_DATABASE_URL": database_url, "CAD_ARCHIVE_BATCH": str(BATCH),
        "CAD_ARCHIVE_KEEP_AUDIT_S": "0", "CAD_ARCHIVE_INCIDENT_GRACE_S": "0",
        "CAD_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "archive", "--once"], env=env, cwd=root
    )


async def _scalar(store: HistoryStore, query: str) -> int:
    async with store.connection() as conn:
        row = await (await conn.execute(query.encode())).fetchone()
    assert row is not None
    return int(row[0])


async def _writing_a_batch(store: HistoryStore) -> bool:
    """Whether the archiver's session is inside a transaction that has written rows."""
    return (
        await _scalar(
            store,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            f" AND application_name = '{APPLICATION_NAME}' AND pid <> pg_backend_pid()"
            " AND backend_xid IS NOT NULL",
        )
        > 0
    )


async def test_a_kill_mid_batch_neither_loses_nor_doubles_a_row(
    redis: Redis, settings: Settings, database_url: str, store: HistoryStore, repo_root: Path
) -> None:
    stream = AreaKeys("CW").audit
    await redis.sadd(GlobalKeys().areas, "CW")
    now_ms = int(time.time() * 1000)
    ids: list[str] = []
    for start in range(0, TOTAL, 5_000):
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(start, start + 5_000):
                pipe.xadd(
                    stream,
                    {"type": "unit_status", "callsign": f"CW{n % 50}", "status": "available",
                     "actor": "mdt", "ts_ms": str(now_ms)},
                )  # fmt: skip
            ids += await pipe.execute()
    # Made first: the first run must not spend its time on the schema.
    assert await _scalar(store, "SELECT count(*) FROM audit_entries") == 0

    first = _archiver(settings, database_url, repo_root)
    try:
        deadline = time.monotonic() + 60
        while not (
            await _scalar(store, "SELECT count(*) FROM audit_entries") >= 4 * BATCH
            and await _writing_a_batch(store)
        ):
            assert first.poll() is None, "the archiver ended before it could be killed"
            assert time.monotonic() < deadline
            await asyncio.sleep(0.005)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL

    # The batch in flight was rolled back whole (once the server notices the dead client); the
    # checkpoint names the last row committed.
    async def settled() -> bool:
        return not await _writing_a_batch(store)

    await eventually(settled, within_s=10)
    kept = await _scalar(store, "SELECT count(*) FROM audit_entries")
    assert 0 < kept < TOTAL
    assert kept % BATCH == 0
    last_ms, _, last_seq = ids[kept - 1].partition("-")
    assert await _scalar(store, "SELECT last_ms FROM archive_checkpoints") == int(last_ms)
    assert await _scalar(store, "SELECT last_seq FROM archive_checkpoints") == int(last_seq)
    # Redis forgot only what was committed.
    assert await redis.xlen(stream) >= TOTAL - kept

    second = _archiver(settings, database_url, repo_root)
    assert second.wait(timeout=120) == 0

    assert await _scalar(store, "SELECT count(*) FROM audit_entries") == TOTAL
    assert (
        await _scalar(store, "SELECT count(DISTINCT (entry_ms, entry_seq)) FROM audit_entries")
        == TOTAL
    )
    first_ms, _, first_seq = ids[0].partition("-")
    assert (
        await _scalar(
            store,
            f"SELECT count(*) FROM audit_entries WHERE (entry_ms, entry_seq) >= "
            f"({first_ms}, {first_seq}) AND area = 'CW' AND kind = 'unit_status'",
        )
        == TOTAL
    )
    assert await redis.xlen(stream) == 0
