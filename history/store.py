"""The connection pool to the history store, and how its failures reach clients: PostgreSQL
down, unreachable or not configured is an outage of the dependency `postgresql` (a 503 on the
history routes), never a failure of dispatch, which does not use it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from cad.errors import UnavailableError
from cad.logs import log
from history.migrate import migrate

logger = logging.getLogger("cad.history")

DEPENDENCY = "postgresql"
# How its sessions show in pg_stat_activity.
APPLICATION_NAME = "cad-history"
_STATEMENT_TIMEOUT_MS = 30_000
NOT_CONFIGURED = "history store not configured (set CAD_DATABASE_URL)"
Connection = AsyncConnection[tuple[Any, ...]]


def not_configured() -> UnavailableError:
    """The answer of every history route on a service without CAD_DATABASE_URL."""
    return UnavailableError(NOT_CONFIGURED, dependency=DEPENDENCY)


class HistoryStore:
    """A pool of connections to the history store; its schema migrated on first use."""

    def __init__(self, url: str, *, timeout_s: float, max_size: int = 4) -> None:
        self._pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            open=False,
            timeout=timeout_s,
            # A connection the server dropped (a restart) is found out before it is lent.
            check=AsyncConnectionPool.check_connection,
            kwargs={
                "connect_timeout": max(1, round(timeout_s)),
                "autocommit": True,
                "application_name": APPLICATION_NAME,
                # A query that runs away, or a server that vanished without a reset, is an
                # error in bounded time, not a request or an archiver round hung for ever.
                "options": f"-c statement_timeout={_STATEMENT_TIMEOUT_MS}",
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
            name="cad-history",
        )
        self._migrated = False
        self._migrating = asyncio.Lock()

    async def open(self) -> None:
        """Start the pool without waiting for the server: the service runs without it."""
        await self._pool.open(wait=False)

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.close()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection to a migrated schema (autocommit: `conn.transaction()` for one);
        UnavailableError when the server cannot be reached or fails as a whole."""
        try:
            async with self._pool.connection() as conn:
                if not self._migrated:
                    await self._migrate(conn)
                yield conn
        except psycopg.OperationalError as exc:  # PoolTimeout and a dropped connection among them
            # The address stays in the log: a client is told what is wrong, not where.
            log(logger, logging.WARNING, "history_store_unavailable", error=str(exc)[:300])
            raise UnavailableError(_reason(exc), dependency=DEPENDENCY) from exc

    async def _migrate(self, conn: Connection) -> None:
        async with self._migrating:
            if not self._migrated:
                await migrate(conn)
                self._migrated = True


def _reason(exc: psycopg.OperationalError) -> str:
    if exc.sqlstate:
        return f"server error {exc.sqlstate}"
    return "cannot be reached"
