"""`cad archive [--once]`: the history archiver on its own, beside or instead of the one each
`cad serve` runs (they share the work safely: history/archiver.py)."""

from __future__ import annotations

import sys

from cad.settings import Settings
from cad.supervisor import Supervisor
from cad.task_health import RestartPolicy, TaskBoard
from history.archiver import Archiver
from history.store import HistoryStore
from transport.redis_client import open_redis


async def archive(settings: Settings, *, once: bool) -> int:
    """With `once`, archive until caught up and exit; else every CAD_ARCHIVE_INTERVAL_S until
    stopped, retrying after failures as the service's supervised task does."""
    if not settings.database_url:
        print("cad archive: history store not configured (set CAD_DATABASE_URL)", file=sys.stderr)
        return 2
    redis = open_redis(settings)
    store = HistoryStore(settings.database_url, timeout_s=settings.network_timeout_s)
    await store.open()
    archiver = Archiver(
        redis, store, batch=settings.archive_batch, keep_audit_s=settings.archive_keep_audit_s,
        incident_grace_s=settings.archive_incident_grace_s,
    )  # fmt: skip
    try:
        if once:
            total = 0
            while True:
                done = await archiver.archive_once()
                moved = done.audit_rows + done.incidents_archived + done.incidents_purged
                total += done.audit_rows
                if moved == 0:
                    break
            print(f"archived {total} audit entries")
            return 0
        supervisor = Supervisor(TaskBoard(RestartPolicy.from_settings(settings)))
        await supervisor.start_periodic(
            "history-archiver", archiver.archive_once, interval_s=settings.archive_interval_s
        )
        return 0
    finally:
        await store.close()
        await redis.aclose()
