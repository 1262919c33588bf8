"""Bare paho clients for the bench's generators and baselines: Nagle off, connected.

Generators and baselines use paho directly (as locust users must), not the service's aiomqtt link.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from cad.mqtt import NO_DELAY, BrokerAddress

_CONNECT_TIMEOUT_S = 10.0


class BrokerConnectError(RuntimeError):
    """The broker refused or did not answer the connection in time."""


def connect(
    url: str,
    client_id: str,
    *,
    threaded: bool,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
) -> paho.Client:
    """A connected client (MQTT v5 unless told); `threaded` starts paho's network thread, else
    call loop()."""
    address = BrokerAddress.from_url(url)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    state: dict[str, Any] = {}

    def on_connect(c: paho.Client, _u: object, _f: object, reason: Any, _p: object = None) -> None:
        sock = c.socket()
        # paho leaves Nagle on: with delayed ACKs every small message would wait ~40 ms.
        if isinstance(sock, socket.socket):
            for level, option, value in NO_DELAY:
                sock.setsockopt(level, option, value)
        state["reason"] = reason

    client.on_connect = on_connect
    client.connect(address.host, address.port, keepalive=30)
    if threaded:
        client.loop_start()
    deadline = time.monotonic() + _CONNECT_TIMEOUT_S
    while "reason" not in state:
        if time.monotonic() > deadline:
            raise BrokerConnectError(f"no CONNACK from {address.host}:{address.port}")
        if threaded:
            time.sleep(0.005)
        else:
            client.loop(0.05)
    if state["reason"].is_failure:
        raise BrokerConnectError(f"broker refused {client_id}: {state['reason']}")
    return client


def close(client: paho.Client, *, threaded: bool) -> None:
    """Disconnect and stop the network thread, if any."""
    client.disconnect()
    if threaded:
        client.loop_stop()
