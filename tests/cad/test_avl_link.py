"""The AVL worker's MQTT session (transport/avl_link.py) against the session's real broker: a
QoS 0 burst arrives whole and in order, most of it from what one recv() read ahead; QoS 1
arrives too and is acknowledged; the keepalive holds a quiet link; a refused login is an
error, not silence."""

from __future__ import annotations

import select
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import paho.mqtt.client as paho
import pytest

from cad.errors import BrokerConnectError
from cad.settings import Settings
from tests.helpers import harness_connection_url
from transport import avl_link, paho_link
from transport.broker_security import url_with_login

BURST = 2_000
# More than the broker lets be in flight to one client (service/servers.py).
QOS_1_MESSAGES = 300


def test_a_burst_is_read_ahead_and_every_message_arrives_in_order(settings: Settings) -> None:
    topic = f"{settings.topic_root}/units/RA1/avl"
    got: list[bytes] = []
    with (
        _subscribed(settings, topic, 0, lambda _topic, payload: got.append(payload)) as link,
        _writer(settings) as writer,
    ):
        for i in range(BURST):
            writer.publish(topic, f"{i:06d}".encode(), qos=0)
        time.sleep(0.5)  # let the broker deliver while nobody reads: the socket fills
        served_from_memory = _pump(link, until=lambda: len(got) >= BURST, for_s=10.0)
    assert got == [f"{i:06d}".encode() for i in range(BURST)]
    # Most packets came from memory, not from a system call each.
    assert served_from_memory > BURST // 2


def test_qos_1_messages_arrive_and_are_acknowledged(settings: Settings) -> None:
    topic = f"{settings.topic_root}/units/RA2/avl"
    got: list[tuple[str, bytes]] = []
    with (
        _subscribed(settings, topic, 1, lambda t, payload: got.append((t, payload))) as link,
        _writer(settings) as writer,
    ):
        for i in range(QOS_1_MESSAGES):
            writer.publish(topic, f"{i:03d}".encode(), qos=1)
        _pump(link, until=lambda: len(got) >= QOS_1_MESSAGES, for_s=10.0)
    # The broker sends no more than its in-flight limit (200) of them unacknowledged.
    assert got == [(topic, f"{i:03d}".encode()) for i in range(QOS_1_MESSAGES)]


def test_the_keepalive_holds_a_quiet_link(settings: Settings) -> None:
    topic = f"{settings.topic_root}/units/RA3/avl"
    got: list[bytes] = []
    link = avl_link.connect(
        harness_connection_url(settings), "ra-quiet", keepalive=1, timeout_s=3.0
    )
    try:
        link.on_payload = lambda _topic, payload: got.append(payload)
        link.subscribe(topic)
        # 1.5 keepalives of silence would make the broker drop it; three pass here.
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            _pump(link, until=lambda: False, for_s=0.2)
            link.keep_alive(time.monotonic())
        with _writer(settings) as writer:
            writer.publish(topic, b"still here", qos=0)
            _pump(link, until=lambda: bool(got), for_s=5.0)
    finally:
        link.close()
    assert got == [b"still here"]


def test_a_refused_login_is_a_connect_error(settings: Settings) -> None:
    username = harness_connection_url(settings).split("//")[1].split(":")[0]
    url = url_with_login(settings.mqtt_url, username, "not-the-password")
    with pytest.raises(BrokerConnectError, match="refused"):
        avl_link.connect(url, "ra-refused", timeout_s=3.0)


@contextmanager
def _subscribed(
    settings: Settings, topic: str, qos: int, on_payload: avl_link.PayloadCallback
) -> Iterator[avl_link.AvlLink]:
    """A link subscribed to `topic`, its SUBACK read."""
    link = avl_link.connect(
        harness_connection_url(settings), f"ra-reader-{uuid.uuid4().hex[:6]}", timeout_s=3.0
    )
    try:
        link.on_payload = on_payload
        link.subscribe(topic, qos=qos)
        _pump(link, until=lambda: False, for_s=0.3)
        yield link
    finally:
        link.close()


@contextmanager
def _writer(settings: Settings) -> Iterator[paho.Client]:
    writer = paho_link.connect(
        harness_connection_url(settings), f"ra-writer-{uuid.uuid4().hex[:6]}", threaded=True
    )
    try:
        yield writer
    finally:
        paho_link.close(writer, threaded=True)


def _pump(link: avl_link.AvlLink, *, until: Callable[[], bool], for_s: float) -> int:
    """Read like the AVL worker; how many packets came from what was read ahead."""
    deadline = time.monotonic() + for_s
    from_memory = 0
    while time.monotonic() < deadline and not until():
        ahead = link.has_buffered()
        if not ahead and not select.select([link.socket], [], [], 0.05)[0]:
            continue
        if link.read() and ahead:
            from_memory += 1
    return from_memory
