"""The service's MQTT link: one aiomqtt client, reconnected with backoff, routing messages by topic.

Following aiomqtt's own advice, reconnection is a loop around `async with Client(...)` that
subscribes again each time; every network await has a timeout.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

import aiomqtt

from cad.broker_security import redact_url
from cad.logs import log
from cad.settings import Settings
from cad.waits import wait_until_set

logger = logging.getLogger("cad.mqtt")

# A handler may hand back the task still processing the message: the message is acknowledged
# to the broker only when that task is done, so a crash before then means redelivery, not loss.
Handler = Callable[[aiomqtt.Message], Awaitable["asyncio.Task[None] | None"]]

# paho leaves Nagle's algorithm on: with delayed ACKs that costs ~40 ms a small message.
NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
# Taskings awaiting their PUBACK beyond this are worth a warning (the broker lets 200 be in flight).
_PENDING_PUBLISHES_WARN = 200


_T = TypeVar("_T")


class Client(aiomqtt.Client):
    """aiomqtt's client, whose timed waits (CONNACK, PUBACK, SUBACK) let a cancellation through:
    aiomqtt waits with `asyncio.wait_for`, which on Python 3.11 can swallow one (cad.waits)."""

    # The signature is aiomqtt's own, which calls it with `timeout=`.
    async def _wait_for(self, fut: Awaitable[_T], timeout: float | None) -> _T:  # noqa: ASYNC109
        if timeout is None:
            timeout = self.timeout
        try:
            async with asyncio.timeout(None if timeout == math.inf else timeout):
                return await fut
        except TimeoutError:
            raise aiomqtt.MqttError("Operation timed out") from None


class MqttUnavailableError(RuntimeError):
    """The broker could not be reached or did not accept a publish in time."""


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


def tls_parameters(settings: Settings) -> aiomqtt.TLSParameters:
    """The broker's CA to trust (the system's without one) and a client certificate if set."""
    return aiomqtt.TLSParameters(
        ca_certs=str(settings.mqtt_tls_ca_file) if settings.mqtt_tls_ca_file else None,
        certfile=str(settings.mqtt_tls_cert_file) if settings.mqtt_tls_cert_file else None,
        keyfile=str(settings.mqtt_tls_key_file) if settings.mqtt_tls_key_file else None,
    )


def new_client(
    settings: Settings,
    *,
    identifier: str,
    persistent: bool,
    will: aiomqtt.Will | None = None,
    manual_ack: bool = False,
) -> Client:
    """An MQTT 3.1.1 client for the configured broker; with `manual_ack`, QoS 1 messages are
    acknowledged only when the service has processed them."""
    address = BrokerAddress.from_url(settings.mqtt_url)
    client = Client(
        address.host,
        address.port,
        username=address.username,
        password=address.password,
        identifier=identifier,
        # 3.1.1, not v5: paho builds a v5 Properties object for every PUBLISH it receives, the
        # largest single cost of the service's receive loop, and the service uses no v5 feature
        # but session expiry, which the broker bounds instead (persistent_client_expiration).
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=not persistent,
        timeout=settings.network_timeout_s,
        keepalive=15,
        will=will,
        max_inflight_messages=200,
        socket_options=NO_DELAY,
        tls_params=tls_parameters(settings) if address.tls else None,
    )
    if manual_ack:
        client._client.manual_ack_set(True)
    return client


@dataclass(frozen=True)
class Route:
    """A subscription and the handler for the messages that match it."""

    subscription: str
    match: str
    qos: int
    handler: Handler


class MqttLink:
    """Keeps one client connected, subscribes the routes, and publishes on behalf of the service."""

    def __init__(self, settings: Settings, routes: list[Route]) -> None:
        self._settings = settings
        self._routes = routes
        self._client: aiomqtt.Client | None = None
        self._connected = asyncio.Event()
        self._receiving_stopped = asyncio.Event()
        self._closed = asyncio.Event()

    async def publish(self, topic: str, payload: bytes, *, qos: int = 1) -> None:
        """Publish, waiting for the link to come up if it is reconnecting."""
        timeout = self._settings.network_timeout_s
        if not await wait_until_set(self._connected, timeout):
            raise MqttUnavailableError(f"broker not connected within {timeout}s")
        assert self._client is not None  # set before _connected, cleared after it
        try:
            await self._client.publish(topic, payload, qos=qos, timeout=timeout)
        except aiomqtt.MqttError as exc:
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
                self._settings,
                identifier=self._settings.mqtt_client_id,
                persistent=True,
                manual_ack=True,
            )
            # A burst has dozens of taskings awaiting their PUBACK: that is normal, not a warning
            # a line (aiomqtt warns past 10 by default).
            client.pending_calls_threshold = _PENDING_PUBLISHES_WARN
            try:
                async with client:
                    for route in self._routes:
                        await client.subscribe(route.subscription, qos=route.qos)
                    self._client = client
                    self._connected.set()
                    url = redact_url(self._settings.mqtt_url)
                    log(logger, logging.INFO, "mqtt_connected", url=url)
                    backoff = 0.1
                    if await self._receive_until_stopped(client):
                        await self._closed.wait()
                        return
            except aiomqtt.MqttError as exc:
                log(logger, logging.WARNING, "mqtt_disconnected", error=str(exc), retry_s=backoff)
            finally:
                self._connected.clear()
                self._client = None
            await wait_until_set(self._closed, backoff)
            backoff = min(backoff * 2, self._settings.reconnect_max_backoff_s)

    async def _receive_until_stopped(self, client: aiomqtt.Client) -> bool:
        """Dispatch messages; True when stopped on purpose, raises MqttError when the link drops."""
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
            reader.result()  # the reader only ends by raising: the link dropped
        return stopped in done

    async def _read(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            await self._dispatch(message)
        raise aiomqtt.MqttError("the message stream ended")

    def _acknowledge_when_done(
        self, message: aiomqtt.Message, processing: asyncio.Task[None] | None
    ) -> None:
        client = self._client
        if message.qos == 0 or client is None:
            return
        if processing is None:
            _ack(client, message)
        else:
            # A task finished after a reconnect acks on the old client: harmless, since the broker
            # redelivers to the new session and the call id makes the repeat change nothing.
            processing.add_done_callback(lambda _: _ack(client, message))

    async def _dispatch(self, message: aiomqtt.Message) -> None:
        for route in self._routes:
            if message.topic.matches(route.match):
                try:
                    processing = await route.handler(message)
                    self._acknowledge_when_done(message, processing)
                except Exception:
                    # One message must never stop the link; the handler's own errors are logged.
                    logger.exception(
                        "route_failed", extra={"fields": {"topic": message.topic.value}}
                    )
                return


def _ack(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
    # aiomqtt has no manual-acknowledgement API; paho, underneath, does.
    client._client.ack(message.mid, message.qos)
