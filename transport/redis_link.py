"""One connection to Redis that any number of coroutines pipeline on at once.

A batch (one or more packed commands) is written at once; Redis answers a connection's commands
in order, so replies are handed to batches first in, first out. Built on public APIs only:
asyncio's transports and protocols (TCP or TLS), hiredis's `Reader` (which also reads RESP3,
the protocol redis-py's own connections speak) and redis-py's exception classes
(`transport/redis_errors.py`).

Chosen by measurement (docs/performance.md, "The Redis transport"): redis-py's public pipeline
costs 2x to 3x the client CPU a round trip (a pooled connection per pipeline), and coredis,
which multiplexes single commands, gives each pipeline a connection of its own and cost more
still; this costs what the shared connection on redis-py's private streams did.

A batch with no answer within the timeout fails with a TimeoutError and its connection is
dropped (a socket that stopped answering may never answer), failing every batch behind it with
a ConnectionError; so does a lost connection. The next batch opens a new connection.

Under Redis Sentinel the address is not fixed: a resolver (transport/redis_sentinel.py) asks the
sentinels for the current primary before every connection, and a READONLY reply (the server was
demoted to a replica by a failover) makes the next batch connect again, to the new primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from transport.redis_errors import error_from_reply
from transport.redis_packing import pack_command

# The protocol redis-py 8's connections speak unless told otherwise: its reply callbacks (which
# shape our replies too) expect it. tests/cad/test_multiplexed_redis.py checks both agree.
RESP_VERSION = 3

# Where to connect now: awaited before each connection (Sentinel's current primary).
EndpointResolver = Callable[[], Awaitable["RedisEndpoint"]]


@dataclass(frozen=True)
class RedisEndpoint:
    """Where Redis listens and how to log in: TCP (TLS when `tls` is set) or a Unix socket."""

    host: str = "127.0.0.1"
    port: int = 6379
    unix_path: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    db: int = 0
    tls: ssl.SSLContext | None = None

    def handshake(self) -> list[tuple[Any, ...]]:
        """HELLO (the protocol, and AUTH with the ACL user when there is a password), SELECT."""
        hello: tuple[Any, ...] = ("HELLO", RESP_VERSION)
        if self.password is not None:
            hello += ("AUTH", self.username or "default", self.password)
        return [hello, ("SELECT", self.db)] if self.db else [hello]


_NOT_YET = object()  # what the reader answers while a reply is still incomplete


@dataclass
class _Batch:
    """One batch's replies as they arrive, and the future its caller awaits."""

    count: int
    future: asyncio.Future[list[Any]]
    replies: list[Any] = field(default_factory=list)


class _Wire(asyncio.Protocol):
    """One socket: batches written in order, their replies handed back in the same order."""

    def __init__(self, encoding: str) -> None:
        self.transport: asyncio.Transport | None = None
        self.pending: deque[_Batch] = deque()
        self.failed = False
        # The batches sent during this turn of the event loop, written together once it has run.
        self._unsent: list[bytes] = []
        # Answered READONLY: the server is a replica now; later batches go to a new connection.
        self.demoted = False
        # Replaced (demoted): closed once the batches already sent on it have their replies.
        self.retired = False
        # Not `False`, hiredis's default: RESP3 has a boolean false.
        self._replies = hiredis.Reader(
            replyError=error_from_reply, encoding=encoding, notEnoughData=_NOT_YET
        )

    def data_received(self, data: bytes) -> None:
        replies, pending = self._replies, self.pending
        try:
            replies.feed(data)
            while (reply := replies.gets()) is not _NOT_YET:
                if isinstance(reply, hiredis.PushNotification):
                    continue  # out of band (RESP3): nobody's answer
                if not pending:
                    raise RedisConnectionError("Redis answered a command nobody sent")
                if isinstance(reply, ReadOnlyError):
                    self.demoted = True
                batch = pending[0]
                batch.replies.append(reply)
                if len(batch.replies) == batch.count:
                    pending.popleft()
                    if not batch.future.done():  # its caller may have been cancelled
                        batch.future.set_result(batch.replies)
            if self.retired and not pending:
                self.fail(lambda: RedisConnectionError("the connection was replaced"))
        except Exception as error:  # unreadable: nothing after it can be trusted
            lost = f"Redis connection lost: {error!r}"
            self.fail(lambda: RedisConnectionError(lost))

    def connection_lost(self, exc: Exception | None) -> None:
        def lost() -> Exception:
            error: Exception = RedisConnectionError("Redis closed the connection")
            error.__cause__ = exc  # the system's words for it, if any (cad/outages.py)
            return error

        self.fail(lost)

    def send(self, packed: bytes, count: int, loop: asyncio.AbstractEventLoop) -> _Batch:
        """Write a batch of `count` packed commands; its future gets their replies. The bytes
        go out once this turn of the event loop has run its callbacks, with every other batch
        sent in it: concurrent calls resumed by one read of replies each send their next batch
        in the same turn, and they take one system call instead of one each."""
        assert self.transport is not None
        assert not self.failed
        batch = _Batch(count, loop.create_future())
        if not self._unsent:
            loop.call_soon(self._write)
        self._unsent.append(packed)
        self.pending.append(batch)
        return batch

    def _write(self) -> None:
        unsent, self._unsent = self._unsent, []
        if self.failed or self.transport is None:
            return  # its batches have had their error
        try:
            self.transport.write(unsent[0] if len(unsent) == 1 else b"".join(unsent))
        except Exception as error:  # closed under us, before `connection_lost` came
            lost = f"Redis connection lost: {error!r}"
            self.fail(lambda: RedisConnectionError(lost))

    def retire(self) -> None:
        """Take no more batches, and close once those already sent have their replies: a batch
        in flight when the server was demoted still gets its own answer (READONLY, or a read's
        reply), not a lost connection."""
        self.retired = True
        if not self.pending:
            self.fail(lambda: RedisConnectionError("the connection was replaced"))

    def fail(self, error: Callable[[], Exception], timed_out: _Batch | None = None) -> None:
        """Close the socket; a batch waiting gets `error()`, the one that timed out (if any) a
        TimeoutError."""
        if self.failed:
            return
        self.failed = True
        if self.transport is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is closed already
                self.transport.abort()
        while self.pending:
            batch = self.pending.popleft()
            if not batch.future.done():
                batch.future.set_exception(
                    RedisTimeoutError("Timeout reading from Redis")
                    if batch is timed_out else error()
                )  # fmt: skip


class SharedConnection:
    """A connection to `endpoint`, opened on demand and again after a failure, that every
    coroutine of the process pipelines on."""

    def __init__(
        self,
        endpoint: RedisEndpoint,
        *,
        timeout_s: float,
        encoding: str,
        resolve: EndpointResolver | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._resolve = resolve
        self._timeout_s = timeout_s
        self._encoding = encoding
        self._wire: _Wire | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # An asyncio lock serves one event loop only: a new loop (a test's) gets a new one.
        self._connecting: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def execute(self, packed: bytes, count: int) -> list[Any]:
        """Send `count` packed commands and return their replies (error replies as exceptions)."""
        loop = asyncio.get_running_loop()
        wire = self._wire
        if wire is None or wire.failed or wire.demoted or self._loop is not loop:
            wire = await self._connect(loop)
        return await self._round_trip(wire, packed, count, loop)

    async def aclose(self) -> None:
        """Close the connection; batches still waiting fail with a ConnectionError."""
        if self._wire is not None:
            self._wire.fail(lambda: RedisConnectionError("the client was closed"))
            self._wire = None

    async def _round_trip(
        self, wire: _Wire, packed: bytes, count: int, loop: asyncio.AbstractEventLoop
    ) -> list[Any]:
        batch = wire.send(packed, count, loop)
        timer = loop.call_later(self._timeout_s, self._expire, wire, batch)
        try:
            return await batch.future
        finally:
            timer.cancel()

    def _expire(self, wire: _Wire, batch: _Batch) -> None:
        if not batch.future.done():
            wire.fail(lambda: RedisConnectionError("dropped: a batch timed out"), timed_out=batch)

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Wire:
        if self._connecting is None or self._connecting[0] is not loop:
            self._connecting = (loop, asyncio.Lock())
        async with self._connecting[1]:
            current = self._wire
            if current is not None and not (
                current.failed or current.demoted or self._loop is not loop
            ):
                return current
            if current is not None and current.demoted and self._loop is loop:
                current.retire()  # its batches in flight still get their replies
            elif current is not None:  # failed, or opened on an event loop now gone
                current.fail(lambda: RedisConnectionError("the connection was replaced"))
            wire = await self._open(loop)
            self._wire, self._loop = wire, loop
            return wire

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Wire:
        wire = _Wire(self._encoding)
        try:
            async with asyncio.timeout(self._timeout_s):
                if self._resolve is not None:  # raises MasterNotFoundError while none is known
                    self.endpoint = await self._resolve()
                endpoint = self.endpoint
                if endpoint.unix_path is not None:
                    transport, _ = await loop.create_unix_connection(
                        lambda: wire, endpoint.unix_path
                    )
                else:
                    transport, _ = await loop.create_connection(
                        lambda: wire, endpoint.host, endpoint.port, ssl=endpoint.tls
                    )
                # uvloop may call `connection_made` only on its next turn.
                wire.transport = transport
                commands = endpoint.handshake()
                packed = b"".join(pack_command(*command) for command in commands)
                replies = await self._round_trip(wire, packed, len(commands), loop)
        except TimeoutError as error:
            wire.fail(lambda: RedisConnectionError("connecting timed out"))
            raise RedisTimeoutError("Timeout connecting to Redis") from error
        except OSError as error:
            wire.fail(lambda: RedisConnectionError("connecting failed"))
            raise RedisConnectionError(
                f"Error {error.errno} connecting to {self._address()}. {error.strerror}."
            ) from error
        except BaseException:
            wire.fail(lambda: RedisConnectionError("connecting failed"))
            raise
        refused = next((r for r in replies if isinstance(r, RedisError)), None)
        if refused is not None:  # WRONGPASS, NOPERM on SELECT...: as redis-py raises them
            wire.fail(lambda: RedisConnectionError("the login was refused"))
            raise refused
        return wire

    def _address(self) -> str:
        endpoint = self.endpoint
        return endpoint.unix_path or f"{endpoint.host}:{endpoint.port}"
