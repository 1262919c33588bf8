"""Bare paho clients, Nagle off, connected: for the AVL worker (dispatch/avl_worker.py), whose
cost per message matters, and for the bench's and locust's generators, which run outside
asyncio (locust on gevent). The service's own link is transport/mqtt_client.py's asyncio client.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from transport.mqtt import NO_DELAY, BrokerAddress
from transport.mqtt_client import TLSParameters

_CONNECT_TIMEOUT_S = 10.0
# One recv() holds hundreds of small PUBLISH packets under a flood.
_READ_AHEAD_BYTES = 65_536
# A PUBLISH's QoS, in the first byte of its fixed header.
_QOS_BITS = 0x06


class BrokerConnectError(RuntimeError):
    """The broker refused or did not answer the connection in time."""


# What a SingleLoopClient hands its owner of each message: the topic and the payload.
PayloadCallback = Callable[[str, bytes], None]
_ON_PAYLOAD_ONLY = "a SingleLoopClient hands every message to on_payload(topic, payload)"


class SingleLoopClient(paho.Client):
    """A paho client run by its owner's loop alone, never paho's thread, for a flood of messages.

    It reads the socket 64 KiB at a time: paho asks for each packet in three recv() calls (type,
    length, rest), one system call each; these are served from memory. Whoever runs its loop
    must ask `has_read_ahead()` before waiting on the socket: packets already read do not make
    it readable. It hands each message's topic and payload to `on_payload`; paho's `on_message`
    and per-topic callbacks are refused. A QoS 0 PUBLISH in MQTT 3.1.1, which is all a flood of
    positions is, is decoded here: paho builds a message object for it, with a
    `threading.Condition` no one waits on, and takes two callback locks that guard nothing on a
    client with one thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ahead = b""
        self._ahead_at = 0
        self._ahead_of: object = None
        self.on_payload: PayloadCallback | None = None

    def has_read_ahead(self) -> bool:
        """Whether bytes already read off the socket wait to be handled."""
        return self._ahead_of is self._sock and self._ahead_at < len(self._ahead)

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._ahead_of is not self._sock:
            # A new connection (paho reconnects in place): nothing read from the old one is its.
            self._ahead, self._ahead_at, self._ahead_of = b"", 0, self._sock
        if self._ahead_at >= len(self._ahead):
            chunk = super()._sock_recv(_READ_AHEAD_BYTES)
            if len(chunk) <= bufsize:
                return chunk
            self._ahead, self._ahead_at = chunk, 0
        data = self._ahead[self._ahead_at : self._ahead_at + bufsize]
        self._ahead_at += len(data)
        return data

    @property
    def on_message(self) -> paho.CallbackOnMessage | None:
        """Never set: messages go to `on_payload`."""
        return None

    @on_message.setter
    def on_message(self, func: paho.CallbackOnMessage | None) -> None:
        if func is not None:
            raise TypeError(_ON_PAYLOAD_ONLY)

    def message_callback_add(self, sub: str, callback: paho.CallbackOnMessage) -> None:
        """Refused: every message goes to `on_payload`."""
        raise TypeError(_ON_PAYLOAD_ONLY)

    def _handle_publish(self) -> MQTTErrorCode:
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        if command & _QOS_BITS or self._protocol == MQTTProtocolVersion.MQTTv5:
            # Acknowledged, or carrying properties: paho's own way, ending in _handle_on_message.
            return super()._handle_publish()
        # QoS 0 in 3.1.1: the topic's length (2 bytes), the topic, the payload; no answer owed.
        length = int.from_bytes(packet[:2], "big")
        if length == 0 or len(packet) < 2 + length:
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        try:
            topic = packet[2 : 2 + length].decode("utf-8")
        except UnicodeDecodeError:
            # MQTT topics are UTF-8, and brokers check: such a message is dropped, as below.
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        self._deliver(topic, bytes(packet[2 + length :]))
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_on_message(self, message: paho.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            return
        self._deliver(topic, bytes(message.payload))

    def _deliver(self, topic: str, payload: bytes) -> None:
        if self.on_payload is not None:
            self.on_payload(topic, payload)


def connect(
    url: str,
    client_id: str,
    *,
    threaded: bool,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
    tls: TLSParameters | None = None,
    keepalive: int = 30,
    timeout_s: float = _CONNECT_TIMEOUT_S,
    still_wanted: Callable[[], bool] = lambda: True,
    kind: type[paho.Client] = paho.Client,
) -> paho.Client:
    """A connected client of class `kind` (MQTT v5 unless told, a clean session); `threaded`
    starts paho's network thread, else call loop() (or, for a `SingleLoopClient`, a loop of
    one's own). An `mqtts://` URL needs `tls`. The wait for CONNACK gives up after `timeout_s`,
    or as soon as `still_wanted()` is false."""
    if threaded and issubclass(kind, SingleLoopClient):
        # paho's thread waits on the socket alone and would sit on packets already read.
        raise ValueError("a SingleLoopClient needs a loop of its own, not paho's thread")
    address = BrokerAddress.from_url(url)
    # A broker with logins binds each connection's id to its username: say so, rather than
    # send an id it will replace (`client_id` serves a broker without logins).
    client_id = address.username or client_id
    client = kind(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        options = tls or TLSParameters()
        client.tls_set(ca_certs=options.ca_certs, certfile=options.certfile,
                       keyfile=options.keyfile)  # fmt: skip
    state: dict[str, Any] = {}

    def on_connect(c: paho.Client, _u: object, _f: object, reason: Any, _p: object = None) -> None:
        sock = c.socket()
        # paho leaves Nagle on: with delayed ACKs every small message would wait ~40 ms.
        if isinstance(sock, socket.socket):
            for level, option, value in NO_DELAY:
                sock.setsockopt(level, option, value)
        state["reason"] = reason

    client.on_connect = on_connect
    client.connect(address.host, address.port, keepalive=keepalive)
    if threaded:
        client.loop_start()
    deadline = time.monotonic() + timeout_s
    while "reason" not in state:
        if time.monotonic() > deadline or not still_wanted():
            close(client, threaded=threaded)
            raise BrokerConnectError(f"no CONNACK from {address.host}:{address.port}")
        if threaded:
            time.sleep(0.005)
        else:
            client.loop(0.05)
    if state["reason"].is_failure:
        close(client, threaded=threaded)
        raise BrokerConnectError(f"broker refused {client_id}: {state['reason']}")
    return client


def close(client: paho.Client, *, threaded: bool) -> None:
    """Disconnect and stop the network thread, if any."""
    client.disconnect()
    if threaded:
        client.loop_stop()
