"""Non-transactional pipelines multiplexed on one shared connection.

Each batch is written at once; Redis answers a connection's commands in order, so replies are
matched to batches first in, first out. redis-py's own pipeline spent about 3x the client CPU
of this one on a round trip here (a pooled connection, a retry wrapper, a timeout context, an
event dispatcher), which bounded the service's intake. Transactions (MULTI/EXEC, WATCH), pipelines
that queued a Script object, and replies wanted undecoded still take redis-py's own path.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import AbstractConnection, ConnectionPool
from redis.client import EMPTY_RESPONSE, NEVER_DECODE
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from transport.redis_packing import pack_command

_READ_CHUNK = 64 * 1024


@dataclass
class _Batch:
    """One pipeline's replies as they arrive, and the future its caller awaits."""

    count: int
    future: asyncio.Future[list[Any]]
    replies: list[Any] = field(default_factory=list)


class SharedConnection:
    """One connection of the pool's kind, opened (and re-opened after a failure) on demand,
    that any number of coroutines pipeline on at once."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        kwargs = pool.connection_kwargs
        self._timeout_s: float | None = kwargs.get("socket_timeout")
        self._decoding = (
            {"encoding": kwargs.get("encoding", "utf-8"),
             "errors": kwargs.get("encoding_errors", "strict")}
            if kwargs.get("decode_responses") else {}
        )  # fmt: skip
        self._conn: AbstractConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading: asyncio.Task[None] | None = None
        self._pending: deque[_Batch] = deque()
        # An asyncio lock serves one event loop only: a new loop (a test's) gets a new one.
        self._connecting: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def execute(self, packed: bytes, count: int) -> list[Any]:
        """Send `count` packed commands and return their replies (error replies as exceptions)."""
        conn = self._conn
        loop = asyncio.get_running_loop()
        if conn is None or self._loop is not loop:
            conn = await self._connect(loop)
        batch = _Batch(count, loop.create_future())
        conn._writer.write(packed)
        self._pending.append(batch)
        timer = (
            loop.call_later(self._timeout_s, self._expire, conn, batch)
            if self._timeout_s else None
        )  # fmt: skip
        try:
            return await batch.future
        finally:
            if timer is not None:
                timer.cancel()

    async def aclose(self) -> None:
        """Close the connection; batches still waiting fail with a ConnectionError."""
        if self._conn is not None:
            self._drop(self._conn, RedisConnectionError("the client was closed"))

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> AbstractConnection:
        if self._connecting is None or self._connecting[0] is not loop:
            self._connecting = (loop, asyncio.Lock())
        async with self._connecting[1]:
            if self._conn is not None and self._loop is loop:
                return self._conn
            if self._conn is not None:  # opened on another event loop (a test's), now gone
                self._drop(self._conn, RedisConnectionError("the event loop changed"))
            # redis-py opens it: TCP or TLS, AUTH, SELECT and its handshake, as for the pool's own.
            conn = self._pool.make_connection()
            await conn.connect()
            self._conn, self._loop = conn, loop
            self._reading = loop.create_task(self._read(conn), name="redis-shared-reader")
            return conn

    async def _read(self, conn: AbstractConnection) -> None:
        reader = hiredis.Reader(replyError=ResponseError, **self._decoding)
        pending = self._pending
        try:
            while True:
                data = await conn._reader.read(_READ_CHUNK)
                if not data:
                    raise RedisConnectionError("Redis closed the connection")
                reader.feed(data)
                while pending:
                    reply = reader.gets()
                    if reply is False:
                        break
                    batch = pending[0]
                    batch.replies.append(reply)
                    if len(batch.replies) == batch.count:
                        pending.popleft()
                        if not batch.future.done():  # its caller may have been cancelled
                            batch.future.set_result(batch.replies)
        except Exception as error:  # whatever it was, nobody must wait on a reader that is gone
            self._drop(conn, RedisConnectionError(f"Redis connection lost: {error!r}"))

    def _expire(self, conn: AbstractConnection, batch: _Batch) -> None:
        # A connection that stopped answering may never answer again (a half-open socket): it
        # goes, failing the batches behind this one too, and the next batch opens a new one.
        if not batch.future.done():
            self._drop(conn, RedisTimeoutError("Timeout reading from Redis"))

    def _drop(self, conn: AbstractConnection, error: Exception) -> None:
        current = self._conn
        if current is None or current is not conn:
            return
        self._conn = None
        if self._reading is not None and self._reading is not asyncio.current_task():
            self._reading.cancel()
        self._reading = None
        with contextlib.suppress(Exception):
            conn._writer.close()
        conn._reader = conn._writer = None
        while self._pending:
            batch = self._pending.popleft()
            if not batch.future.done():
                batch.future.set_exception(error)


class SharedPipeline(Pipeline):  # type: ignore[misc]
    """redis-py's non-transactional pipeline, executed on the client's shared connection."""

    def __init__(self, shared: SharedConnection, *args: Any) -> None:
        super().__init__(*args)
        self._shared = shared

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        """Run the queued commands in one round trip; as redis-py's `execute`."""
        stack = self.command_stack
        if self.watching or self.scripts or any(NEVER_DECODE in opts for _, opts in stack):
            return list(await super().execute(raise_on_error))
        if not stack:
            return []
        try:
            packed = b"".join(pack_command(*args) for args, _ in stack)
            replies = await self._shared.execute(packed, len(stack))
        finally:
            await self.reset()
        answers = [
            self._answer(args, opts, reply)
            for (args, opts), reply in zip(stack, replies, strict=True)
        ]
        answers = [await a if inspect.isawaitable(a) else a for a in answers]
        if raise_on_error:
            self.raise_first_error(stack, answers)
        return answers

    def _answer(self, args: tuple[Any, ...], options: dict[str, Any], reply: Any) -> Any:
        """A reply as redis-py's `parse_response` makes it: typed errors, response callbacks."""
        if isinstance(reply, ResponseError):
            return options.get(EMPTY_RESPONSE, BaseParser.parse_error(str(reply)))
        options = {k: v for k, v in options.items() if k not in (EMPTY_RESPONSE, "keys")}
        callback = self.response_callbacks.get(args[0])
        if callback is None:
            return reply
        return callback(reply, **options)


class MultiplexedRedis(Redis):  # type: ignore[misc]
    """redis-py's asyncio client whose non-transactional pipelines share one connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared = SharedConnection(self.connection_pool)

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        """A pipeline as redis-py's, on the shared connection unless it is a transaction."""
        if transaction:
            return super().pipeline(transaction, shard_hint)
        return SharedPipeline(
            self.shared, self.connection_pool, self.response_callbacks, transaction, shard_hint
        )

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the shared connection, then the pool as redis-py does."""
        await self.shared.aclose()
        await super().aclose(close_connection_pool)
