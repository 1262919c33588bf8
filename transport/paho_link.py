"""Bare paho clients, Nagle off, connected: for the bench's and locust's generators, which run
outside asyncio (locust on gevent). The service's own link is transport/mqtt_client.py's asyncio
client; the AVL worker's is transport/avl_link.py.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from cad.errors import BrokerConnectError
from transport.mqtt import NO_DELAY, BrokerAddress

_CONNECT_TIMEOUT_S = 10.0


def connect(
    url: str,
    client_id: str,
    *,
    threaded: bool,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
) -> paho.Client:
    """A connected paho client (MQTT v5 unless told, a clean session); `threaded` starts paho's
    network thread, else call loop(). An `mqtts://` URL trusts the system's CAs. The wait for
    CONNACK gives up after 10 s."""
    address = BrokerAddress.from_url(url)
    # A broker with logins binds each connection's id to its username: say so, rather than
    # send an id it will replace (`client_id` serves a broker without logins).
    client_id = address.username or client_id
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
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
