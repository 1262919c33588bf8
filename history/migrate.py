"""Applying the history store's migrations: every `history/migrations/NNNN_name.sql` not yet
recorded in `schema_migrations`, in order, in one transaction under an advisory lock, so that
replicas starting together apply each exactly once."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from psycopg import AsyncConnection

from cad.logs import log

logger = logging.getLogger("cad.history")

# pg_advisory_xact_lock's key: any constant the other users of the database do not take.
_LOCK_KEY = 0x0CAD_0001
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One versioned SQL file."""

    version: int
    name: str
    text: str


def migrations() -> list[Migration]:
    """The shipped migrations, in version order (a misnamed or duplicate file is an error)."""
    found: dict[int, Migration] = {}
    for entry in resources.files("history.migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise ValueError(f"migration file {entry.name!r} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations numbered {version}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(conn: AsyncConnection[Any]) -> list[int]:
    """Apply the migrations this database lacks; the versions applied now."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT version FROM schema_migrations")
        done = {int(row[0]) for row in await cursor.fetchall()}
        for migration in migrations():
            if migration.version in done:
                continue
            # A file of several statements goes as one simple query (no parameters).
            await conn.execute(migration.text.encode())
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied.append(migration.version)
    if applied:
        log(logger, logging.INFO, "history_migrated", versions=applied)
    return applied
