"""The service's MQTT link: one client (transport/mqtt_client.py), reconnected with backoff,
routing messages by topic.

Reconnection is a loop around `async with Client(...)` that subscribes again each time; every
network await has a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cad.errors import MqttUnavailableError
from cad.logs import log
from cad.settings import Settings
from cad.waits import wait_until_set
from transport.broker_security import redact_url
from transport.mqtt_client import (
    Client,
    Message,
    MqttError,
    ProtocolVersion,
    TLSParameters,
    Will,
)
from transport.mqtt_logins import MqttLogin
from transport.topic_filter import TopicFilter

logger = logging.getLogger("cad.mqtt")

# A handler may hand back the task still processing the message: the message is acknowledged
# to the broker only when that task is done, so a crash before then means redelivery, not loss.
Handler = Callable[[Message], Awaitable["asyncio.Task[None] | None"]]

# paho leaves Nagle's algorithm on: with delayed ACKs that costs ~40 ms a small message.
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is, parsed from `CAD_MQTT_URL` (mqtt[s]://user:password@host:port)."""

    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        """Parse an `mqtt://` URL, or `mqtts://` (TLS, port 8883 unless given)."""
        parts = urlsplit(url)
        tls = parts.scheme in ("mqtts", "ssl")
        if parts.scheme not in ("mqtt", "tcp", "mqtts", "ssl") or not parts.hostname:
            raise ValueError(f"not an mqtt:// or mqtts:// URL: {redact_url(url)!r}")
        port = parts.port or (8883 if tls else 1883)
        return cls(parts.hostname, port, parts.username, parts.password, tls)


def tls_parameters(settings: Settings) -> TLSParameters:
    """The broker's CA to trust (the system's without one) and a client certificate if set."""
    return TLSParameters(
        ca_certs=str(settings.mqtt_tls_ca_file) if settings.mqtt_tls_ca_file else None,
        certfile=str(settings.mqtt_tls_cert_file) if settings.mqtt_tls_cert_file else None,
        keyfile=str(settings.mqtt_tls_key_file) if settings.mqtt_tls_key_file else None,
    )


def new_client(
    settings: Settings,
    login: MqttLogin,
    *,
    persistent: bool,
    will: Will | None = None,
    manual_ack: bool = False,
) -> Client:
    """An MQTT 3.1.1 client of the configured broker under `login`; with `manual_ack`, QoS 1
    messages are acknowledged only when the service has processed them."""
    address = BrokerAddress.from_url(login.url)
    return Client(
        address.host,
        address.port,
        username=address.username,
        password=address.password,
        identifier=login.client_id,
        # 3.1.1, not v5: paho builds a v5 Properties object for every PUBLISH it receives, the
        # largest single cost of the service's receive loop, and the service uses no v5 feature
        # but session expiry, which the broker bounds instead (persistent_client_expiration).
        protocol=ProtocolVersion.V311,
        clean_session=not persistent,
        timeout=settings.network_timeout_s,
        keepalive=15,
        will=will,
        max_inflight_messages=200,
        socket_options=NO_DELAY,
        tls_params=tls_parameters(settings) if address.tls else None,
        manual_ack=manual_ack,
    )


@dataclass(frozen=True)
class Route:
    """A subscription and the handler for the messages that match it."""

    subscription: str
    match: str
    qos: int
    handler: Handler


class MqttLink:
    """Keeps one client connected under one login, subscribes the routes, and publishes."""

    def __init__(
        self,
        settings: Settings,
        login: MqttLogin,
        routes: list[Route],
        *,
        persistent: bool = False,
    ) -> None:
        self._settings = settings
        self._login = login
        self._routes = routes
        # Each route's filter compiled once: every message is matched against them.
        self._filters = [(TopicFilter(route.match), route) for route in routes]
        # Subscribing means taking messages that must not be lost: a persistent session keeps
        # them at the broker while the link is away, and each is acknowledged only when handled.
        self._persistent = persistent
        self._client: Client | None = None
        self._connected = asyncio.Event()
        self._receiving_stopped = asyncio.Event()
        self._closed = asyncio.Event()
        self._redeliver = asyncio.Event()

    async def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Publish, waiting for the link to come up if it is reconnecting."""
        timeout = self._settings.network_timeout_s
        # Connected, as nearly always: no timer to arm and cancel for the wait.
        if not self._connected.is_set() and not await wait_until_set(self._connected, timeout):
            raise MqttUnavailableError(f"broker not connected within {timeout}s")
        assert self._client is not None  # set before _connected, cleared after it
        try:
            await self._client.publish(topic, payload, qos=qos, timeout=timeout)
        except MqttError as exc:
            raise MqttUnavailableError(f"publish to {topic} failed: {exc}") from exc

    @property
    def connected(self) -> bool:
        """Whether the link is up now."""
        return self._connected.is_set()

    def stop_receiving(self) -> None:
        """Stop handing messages to the routes; the connection stays up for publishing."""
        self._receiving_stopped.set()

    def close(self) -> None:
        """Let `run` disconnect and return (after `stop_receiving` and the handlers' drain)."""
        self._receiving_stopped.set()
        self._closed.set()

    async def run(self) -> None:
        """Connect, subscribe and dispatch messages until closed, reconnecting with backoff."""
        backoff = 0.1
        while not self._closed.is_set():
            client = new_client(
                self._settings, self._login, persistent=self._persistent,
                manual_ack=self._persistent,
            )  # fmt: skip
            try:
                async with client:
                    for route in self._routes:
                        await client.subscribe(route.subscription, qos=route.qos)
                    self._client = client
                    self._connected.set()
                    log(
                        logger, logging.INFO, "mqtt_connected", client_id=self._login.client_id,
                        url=redact_url(self._login.url),
                    )  # fmt: skip
                    backoff = 0.1
                    if await self._receive_until_stopped(client):
                        await self._closed.wait()
                        return
            except MqttError as exc:
                log(
                    logger, logging.WARNING, "mqtt_disconnected", client_id=self._login.client_id,
                    error=str(exc), retry_s=backoff,
                )  # fmt: skip
            finally:
                self._connected.clear()
                self._client = None
            if self._redeliver.is_set():
                # Reconnected at once: the broker then resends what this session did not ack.
                self._redeliver.clear()
                continue
            await wait_until_set(self._closed, backoff)
            backoff = min(backoff * 2, self._settings.reconnect_max_backoff_s)

    async def _receive_until_stopped(self, client: Client) -> bool:
        """Dispatch messages; True when stopped on purpose, raises MqttError when the link drops
        or a message must be redelivered."""
        reader = asyncio.create_task(self._read(client))
        stopped = asyncio.create_task(self._receiving_stopped.wait())
        both = {reader, stopped}
        try:
            done, _ = await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Raising nothing here: a cancellation of the link itself must go on as it came.
            for task in both:
                task.cancel()
            await asyncio.wait(both)
        if reader in done:
            reader.result()  # the reader only ends by raising
        return stopped in done

    async def _read(self, client: Client) -> None:
        async for message in client.messages:
            await self._dispatch(message)
            if self._redeliver.is_set():
                raise MqttError("reconnecting for the broker to resend an unhandled message")
        raise MqttError("the message stream ended")

    def _acknowledge_when_done(
        self, message: Message, processing: asyncio.Task[None] | None
    ) -> None:
        client = self._client
        if message.qos == 0 or client is None or not self._persistent:
            return
        if processing is None:
            client.ack(message)
            return

        def settle(task: asyncio.Task[None]) -> None:
            # Only a message whose handling is durable (recorded, or dead-lettered with its
            # reason) is acknowledged; any other end leaves it to the broker to send again.
            if not task.cancelled() and task.exception() is None:
                # After a reconnect this acks on the old client: harmless, since the broker
                # resends to the new session and the message's id makes the repeat change nothing.
                client.ack(message)
            elif not self._receiving_stopped.is_set():
                log(
                    logger, logging.WARNING, "message_unacknowledged",
                    topic=message.topic.value, task=task.get_name(),
                )  # fmt: skip
                self._redeliver.set()

        processing.add_done_callback(settle)

    async def _dispatch(self, message: Message) -> None:
        for match, route in self._filters:
            if message.topic.matches(match):
                try:
                    processing = await route.handler(message)
                    self._acknowledge_when_done(message, processing)
                except Exception:
                    # One message must never stop the link; the handler's own errors are logged,
                    # and the message, never acknowledged, comes again on a new connection.
                    logger.exception(
                        "route_failed", extra={"fields": {"topic": message.topic.value}}
                    )
                    self._redeliver.set()
                return
        # A persistent session outlives its subscriptions' owners (a topic root this session
        # subscribed before): nothing here takes such a message, so it is let go, not left
        # holding one of the broker's in-flight slots.
        log(logger, logging.INFO, "message_unrouted", topic=message.topic.value)
        self._acknowledge_when_done(message, None)
