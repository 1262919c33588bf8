"""An asyncio MQTT client over paho's public external-loop API, for every asyncio client of ours.

paho runs on the event loop's own selector: the socket callbacks (`on_socket_open`,
`on_socket_close`, `on_socket_register_write`, `on_socket_unregister_write`) register the socket
with the loop, which calls `loop_read`, and a timer calls `loop_misc` each second for the
keepalive; `connect()`, which blocks, runs in a thread. What paho queues to send (publishes, the
acknowledgements) is written once per turn of the loop, corked into one TCP segment when it is a
burst (`_flush`); the selector is asked to watch for writing only when the socket's buffer is
full. Every wait (CONNACK, SUBACK,
PUBACK, the next message) is on a plain future, the first three under `asyncio.timeout`, so a
cancellation is never swallowed (`asyncio.wait_for` on 3.11 can: cad.waits).
QoS 1 messages can be acknowledged by hand (`manual_ack`, `ack`): the intake acknowledges one
only once its handling is durable. The API is the subset of aiomqtt 2's that our code used.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from cad.errors import MqttUnavailableError
from transport.topic_filter import TopicFilter

# The keepalive's clock: paho pings when the link has been quiet for `keepalive` seconds, and
# drops a link whose PINGRESP is that late; checked this often.
_MISC_INTERVAL_S = 1.0
_DEFAULT_TIMEOUT_S = 10.0
# Linux's TCP_CORK (None elsewhere): while it is set, what is sent waits in the socket; clearing it
# sends what waits as one segment. paho sends packet by packet, and each send on its own costs the
# broker a read and, on loopback, this process the whole TCP path through to the broker's socket.
_TCP_CORK: int | None = getattr(socket, "TCP_CORK", None)
# Corking costs two system calls (set, clear): it pays for a burst (a major incident's taskings,
# loadtests.bench.mqtt_burst), not for the two or three packets a turn of the intake queues.
_CORK_FROM = 8

SocketOption = tuple[int, int, int]
_T = TypeVar("_T")


class MqttError(MqttUnavailableError):
    """The broker refused, did not answer in time (a wait's timeout is this, not TimeoutError),
    or the connection is gone."""


class MqttCodeError(MqttError):
    """An MQTT error with the reason code paho or the broker gave (`rc`)."""

    def __init__(self, rc: int | ReasonCode, message: str) -> None:
        self.rc = rc.value if isinstance(rc, ReasonCode) else int(rc)
        super().__init__(f"[code:{self.rc}] {message}: {rc}")


class ProtocolVersion(enum.IntEnum):
    """The MQTT protocol version spoken (paho's numbers)."""

    V31 = MQTTProtocolVersion.MQTTv31.value
    V311 = MQTTProtocolVersion.MQTTv311.value
    V5 = MQTTProtocolVersion.MQTTv5.value


@dataclass(frozen=True)
class Will:
    """The last will the broker publishes when the connection dies without a DISCONNECT."""

    topic: str
    payload: bytes | str | None = None
    qos: int = 0
    retain: bool = False
    properties: Properties | None = None


@dataclass(frozen=True)
class TLSParameters:
    """The CA to trust (the system's without one) and a client certificate, if any."""

    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None


class Topic:
    """A message's topic, with MQTT's wildcard matching."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def matches(self, wildcard: str | TopicFilter) -> bool:
        """Whether the topic matches `wildcard` (a topic filter, shared or not; compiled once
        where it is matched often)."""
        compiled = wildcard if isinstance(wildcard, TopicFilter) else TopicFilter(wildcard)
        return compiled.matches(self.value)

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Topic({self.value!r})"


class Message:
    """A message received: its topic, payload, QoS, retain flag, id (`mid`) and v5 properties."""

    __slots__ = ("mid", "payload", "properties", "qos", "retain", "topic")

    def __init__(
        self,
        topic: Topic,
        payload: bytes,
        qos: int,
        retain: bool,
        mid: int,
        properties: Properties | None,
    ) -> None:
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.mid = mid
        self.properties = properties


class Messages:
    """The client's incoming messages, in the order they arrived, as an async iterator; it
    raises MqttError when the connection is gone."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def __aiter__(self) -> Messages:
        return self

    async def __anext__(self) -> Message:
        return await self._client.next_message()

    def __len__(self) -> int:
        return self._client.queued_messages


class Client:
    """One MQTT connection, opened and closed by `async with`; it may be entered again after."""

    def __init__(
        self,
        hostname: str,
        port: int = 1883,
        *,
        username: str | None = None,
        password: str | None = None,
        identifier: str | None = None,
        protocol: ProtocolVersion | None = None,
        will: Will | None = None,
        clean_session: bool | None = None,
        clean_start: paho.CleanStartOption = paho.MQTT_CLEAN_START_FIRST_ONLY,
        properties: Properties | None = None,
        keepalive: int = 60,
        timeout: float | None = None,
        max_inflight_messages: int | None = None,
        socket_options: Iterable[SocketOption] = (),
        tls_params: TLSParameters | None = None,
        manual_ack: bool = False,
    ) -> None:
        self._hostname = hostname
        self._port = port
        self._identifier = identifier or ""
        self._keepalive = keepalive
        self._clean_start = clean_start
        self._properties = properties
        self._socket_options = tuple(socket_options)
        self.timeout = _DEFAULT_TIMEOUT_S if timeout is None else timeout
        version = MQTTProtocolVersion(protocol or ProtocolVersion.V311)
        self._paho = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._identifier,
            # paho takes clean_session for 3.1.1 only, clean_start (at connect) for v5.
            clean_session=None if version == MQTTProtocolVersion.MQTTv5 else clean_session,
            protocol=version,
            manual_ack=manual_ack,
        )
        self._paho.on_connect = self._on_connect
        self._paho.on_disconnect = self._on_disconnect
        self._paho.on_subscribe = self._on_subscribe
        self._paho.on_publish = self._on_publish
        self._paho.on_message = self._on_message
        self._paho.on_socket_open = self._on_socket_open
        self._paho.on_socket_close = self._on_socket_close
        self._paho.on_socket_register_write = self._on_socket_register_write
        self._paho.on_socket_unregister_write = self._on_socket_unregister_write
        if max_inflight_messages is not None:
            self._paho.max_inflight_messages_set(max_inflight_messages)
        if username is not None:
            self._paho.username_pw_set(username, password)
        if tls_params is not None:
            self._paho.tls_set(
                ca_certs=tls_params.ca_certs, certfile=tls_params.certfile,
                keyfile=tls_params.keyfile,
            )  # fmt: skip
        if will is not None:
            self._paho.will_set(will.topic, will.payload, will.qos, will.retain, will.properties)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._fd = -1
        # Packets we have had paho queue since the last write (publishes, acks): a guess at
        # whether corking pays, never needed for correctness.
        self._unwritten = 0
        self._misc: asyncio.TimerHandle | None = None
        self._connected: asyncio.Future[None] | None = None
        self._disconnected: asyncio.Future[None] | None = None
        self._subscribing: dict[int, asyncio.Future[list[ReasonCode]]] = {}
        self._publishing: dict[int, asyncio.Future[None]] = {}
        self._queue: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._messages = Messages(self)

    @property
    def identifier(self) -> str:
        """The client id sent to the broker ("" lets a 3.1.1 broker choose one)."""
        return self._identifier

    @property
    def messages(self) -> Messages:
        """The incoming messages (an async iterator)."""
        return self._messages

    def socket(self) -> paho.SocketLike | None:
        """The connection's socket, while there is one."""
        return self._paho.socket()

    @property
    def queued_messages(self) -> int:
        """How many received messages wait to be taken."""
        return len(self._queue)

    async def __aenter__(self) -> Self:
        loop = asyncio.get_running_loop()
        self._loop, self._loop_thread = loop, threading.get_ident()
        self._connected, self._disconnected = loop.create_future(), loop.create_future()
        self._queue.clear()
        connecting = loop.run_in_executor(None, self._connect_blocking)
        try:
            async with self._timeout(None):
                # connect() blocks (DNS, TCP, TLS handshake): in a thread, as paho's docs allow.
                await asyncio.shield(connecting)
                await self._connected
        except TimeoutError:
            connecting.add_done_callback(self._abandon)
            raise MqttError("no CONNACK in time") from None
        except BaseException:
            # Cancelled or failed before the CONNACK: let go of whatever the thread opens.
            connecting.add_done_callback(self._abandon)
            raise
        self._misc = loop.call_later(_MISC_INTERVAL_S, self._keep_alive)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        disconnected = self._disconnected
        assert disconnected is not None
        try:
            if self._disconnect() and not disconnected.done():
                async with self._timeout(None):
                    await asyncio.shield(disconnected)
        except (TimeoutError, MqttError):
            pass
        finally:
            self._close_socket()
            if self._misc is not None:
                self._misc.cancel()
                self._misc = None

    async def subscribe(
        self,
        topic: str,
        qos: int = 0,
        *,
        properties: Properties | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> list[ReasonCode]:
        """Subscribe and wait for the SUBACK: the reason code granted to each filter."""
        result, mid = self._paho.subscribe(topic, qos, properties=properties)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise MqttCodeError(result, "Could not subscribe to topic")
        granted = self._future(self._subscribing, mid)
        try:
            async with self._timeout(timeout):
                return await granted
        except TimeoutError:
            raise MqttError("no SUBACK in time") from None
        finally:
            self._subscribing.pop(mid, None)

    async def publish(
        self,
        topic: str,
        payload: bytes | bytearray | str | float | None = None,
        qos: int = 0,
        retain: bool = False,
        properties: Properties | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        """Publish and wait until paho has written it (QoS 0) or the broker's PUBACK (QoS 1)."""
        self._unwritten += 1
        info = self._paho.publish(topic, payload, qos, retain, properties)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise MqttCodeError(info.rc, "Could not publish message")
        if info.is_published():
            return
        done = self._future(self._publishing, info.mid)
        try:
            async with self._timeout(timeout):
                await done
        except TimeoutError:
            raise MqttError("no PUBACK in time" if qos else "not written in time") from None
        finally:
            self._publishing.pop(info.mid, None)

    def ack(self, message: Message) -> None:
        """Acknowledge a QoS 1 message taken with `manual_ack` (nothing for QoS 0)."""
        if message.qos:
            self._unwritten += 1
        self._paho.ack(message.mid, message.qos)

    async def next_message(self) -> Message:
        """The next message received, waiting for one; MqttError once disconnected."""
        while not self._queue:
            disconnected = self._disconnected
            if disconnected is None or disconnected.done():
                raise MqttError("the connection is gone")
            assert self._loop is not None
            self._waiter = waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._queue.popleft()

    # -- waits --

    def _timeout(self, timeout: float | None) -> asyncio.Timeout:
        seconds = self.timeout if timeout is None else timeout
        return asyncio.timeout(None if seconds == math.inf else seconds)

    def _future(self, pending: dict[int, asyncio.Future[_T]], mid: int) -> asyncio.Future[_T]:
        disconnected = self._disconnected
        if disconnected is None or disconnected.done():
            raise MqttError("the connection is gone")
        assert self._loop is not None
        future: asyncio.Future[_T] = self._loop.create_future()
        pending[mid] = future
        return future

    # -- paho's callbacks: on the loop's thread, or during connect() in the executor's --

    def _connect_blocking(self) -> None:
        try:
            self._paho.connect(
                self._hostname, self._port, self._keepalive, clean_start=self._clean_start,
                properties=self._properties,
            )  # fmt: skip
        except OSError as exc:
            # Its frames hold the socket of a failed TLS handshake, which paho never had:
            # let go of them, so the socket is closed now rather than by a later collection.
            exc.__traceback__ = None
            raise MqttError(f"could not connect to {self._hostname}:{self._port}: {exc}") from exc

    def _on_loop(self, action: Any) -> None:
        if threading.get_ident() == self._loop_thread:
            action()
        else:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(action)

    def _on_connect(
        self, _c: paho.Client, _u: object, _f: object, rc: ReasonCode, _p: object = None
    ) -> None:
        connected = self._connected
        if connected is None or connected.done():
            return
        if rc.is_failure:
            connected.set_exception(MqttCodeError(rc, "Connection refused"))
        else:
            connected.set_result(None)

    def _on_disconnect(
        self, _c: paho.Client, _u: object, _f: object, rc: ReasonCode, _p: object = None
    ) -> None:
        error = MqttCodeError(rc, "Disconnected")
        for state in (self._connected, self._disconnected):
            if state is not None and not state.done():
                if rc.is_failure or state is self._connected:
                    state.set_exception(error)
                    # Nobody may be left to look at it: retrieved, so asyncio does not log it.
                    state.exception()
                else:
                    state.set_result(None)
        pending: list[asyncio.Future[Any]] = [
            *self._subscribing.values(),
            *self._publishing.values(),
        ]
        for future in pending:
            if not future.done():
                future.set_exception(error)
        self._wake_reader()

    def _on_subscribe(
        self, _c: paho.Client, _u: object, mid: int, codes: list[ReasonCode], _p: object
    ) -> None:
        future = self._subscribing.get(mid)
        if future is not None and not future.done():
            future.set_result(codes)

    def _on_publish(
        self, _c: paho.Client, _u: object, mid: int, _rc: ReasonCode, _p: object
    ) -> None:
        future = self._publishing.get(mid)
        if future is not None and not future.done():
            future.set_result(None)

    def _on_message(self, _c: paho.Client, _u: object, m: paho.MQTTMessage) -> None:
        try:
            topic = m.topic
        except UnicodeDecodeError:
            return  # MQTT topics are UTF-8 and brokers check: nothing of ours sends one
        payload = m.payload
        self._queue.append(
            Message(
                Topic(topic),
                payload if type(payload) is bytes else bytes(payload),
                m.qos,
                m.retain,
                m.mid,
                m.properties,
            )
        )
        self._wake_reader()

    def _wake_reader(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_socket_open(self, _c: paho.Client, _u: object, sock: paho.SocketLike) -> None:
        if isinstance(sock, socket.socket):  # an SSLSocket too
            for level, option, value in self._socket_options:
                sock.setsockopt(level, option, value)
        fd = sock.fileno()

        def register() -> None:
            assert self._loop is not None
            self._fd = fd
            self._loop.add_reader(fd, self._read, sock)

        self._on_loop(register)

    def _read(self, sock: paho.SocketLike) -> None:
        rc = self._paho.loop_read()
        if not isinstance(sock, ssl.SSLSocket):
            return
        tls: ssl.SSLSocket = sock
        # TLS records decrypted ahead are invisible to the selector: read them now.
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and tls.pending() and self._paho.socket() is tls:
            rc = self._paho.loop_read()

    def _on_socket_close(self, _c: paho.Client, _u: object, sock: paho.SocketLike) -> None:
        fd = sock.fileno()
        if fd < 0:
            return  # closed already (`_close_socket`), and unregistered then

        def unregister() -> None:
            assert self._loop is not None
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(fd)
                self._loop.remove_writer(fd)
            if self._fd == fd:
                self._fd = -1

        self._on_loop(unregister)

    def _on_socket_register_write(self, _c: paho.Client, _u: object, sock: paho.SocketLike) -> None:
        # paho calls this when its queue of packets to send stops being empty, and again only
        # once it has emptied it (`on_socket_unregister_write`): one flush at a time.
        def schedule() -> None:
            assert self._loop is not None
            if self._paho.socket() is sock:
                # After the callbacks already due this turn, which may queue more to send.
                self._loop.call_soon(self._flush, sock)

        self._on_loop(schedule)

    def _flush(self, sock: paho.SocketLike) -> None:
        """Write what paho has queued; if the socket's buffer fills, the rest once it drains."""
        if self._paho.socket() is not sock:
            return
        corked = self._unwritten >= _CORK_FROM and self._cork(sock, True)
        self._unwritten = 0
        try:
            self._paho.loop_write()
        finally:
            if corked:
                self._cork(sock, False)
        if self._paho.want_write() and self._paho.socket() is sock:
            assert self._loop is not None
            self._loop.add_writer(sock.fileno(), self._paho.loop_write)

    @staticmethod
    def _cork(sock: paho.SocketLike, on: bool) -> bool:
        """Set or clear TCP_CORK (an SSLSocket's too): whether it was set."""
        if _TCP_CORK is None or not isinstance(sock, socket.socket):
            return False
        try:
            sock.setsockopt(socket.IPPROTO_TCP, _TCP_CORK, int(on))
        except OSError:
            return False  # closed under us: paho finds out at its next call
        return True

    def _on_socket_unregister_write(
        self, _c: paho.Client, _u: object, sock: paho.SocketLike
    ) -> None:
        fd = sock.fileno()
        if fd < 0:
            return

        def unregister() -> None:
            assert self._loop is not None
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_writer(fd)

        self._on_loop(unregister)

    def _keep_alive(self) -> None:
        if self._paho.loop_misc() == MQTTErrorCode.MQTT_ERR_SUCCESS and self._loop is not None:
            self._misc = self._loop.call_later(_MISC_INTERVAL_S, self._keep_alive)

    def _disconnect(self) -> bool:
        """Send DISCONNECT now (paho closes the socket once it is written): whether sent."""
        if self._paho.disconnect() != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return False
        self._paho.loop_write()
        return True

    def _abandon(self, connecting: asyncio.Future[None]) -> None:
        if connecting.cancelled() or connecting.exception() is not None:
            return
        self._disconnect()
        self._close_socket()

    def _close_socket(self) -> None:
        """Close the socket, if still open, without waiting for anything."""
        sock = self._paho.socket()
        if sock is None:
            return
        if self._loop is not None and self._fd >= 0:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self._fd)
                self._loop.remove_writer(self._fd)
            self._fd = -1
        # paho has no public close without a DISCONNECT: a socket closed under it reads as a
        # lost connection at its next call, which nothing makes now.
        with contextlib.suppress(OSError):
            sock.close()
