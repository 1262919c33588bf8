"""The single-loop paho client against the session's real broker: a QoS 0 burst arrives whole
and in order at `on_payload`, most of it served from memory rather than read off the socket
packet by packet; QoS 1 arrives there too, and paho's own callbacks are refused."""

from __future__ import annotations

import select
import time
import uuid
from collections.abc import Callable

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from cad.settings import Settings
from tests.helpers import harness_connection_url
from transport import paho_link

BURST = 2_000


def test_a_burst_is_read_ahead_and_every_message_arrives_in_order(settings: Settings) -> None:
    topic = f"{settings.topic_root}/units/RA1/avl"
    got: list[bytes] = []
    reader, writer = _subscribed(settings, topic, 0, lambda _topic, payload: got.append(payload))
    try:
        for i in range(BURST):
            writer.publish(topic, f"{i:06d}".encode(), qos=0)
        time.sleep(0.5)  # let the broker deliver while nobody reads: the socket fills
        served_from_memory = _pump(reader, until=lambda: len(got) >= BURST, for_s=10.0)
    finally:
        paho_link.close(writer, threaded=True)
        reader.disconnect()
    assert got == [f"{i:06d}".encode() for i in range(BURST)]
    # Most packets came from memory, not from a system call each.
    assert served_from_memory > BURST // 2


def test_a_single_loop_client_is_refused_paho_s_own_thread(settings: Settings) -> None:
    with pytest.raises(ValueError, match="loop of its own"):
        paho_link.connect(settings.mqtt_url, "ra-threaded", threaded=True,
                          kind=paho_link.SingleLoopClient)  # fmt: skip


def test_qos_1_messages_reach_on_payload_too(settings: Settings) -> None:
    topic = f"{settings.topic_root}/units/RA2/avl"
    got: list[tuple[str, bytes]] = []
    reader, writer = _subscribed(settings, topic, 1, lambda t, payload: got.append((t, payload)))
    try:
        for i in range(20):
            writer.publish(topic, f"{i:03d}".encode(), qos=1)
        _pump(reader, until=lambda: len(got) >= 20, for_s=10.0)
    finally:
        paho_link.close(writer, threaded=True)
        reader.disconnect()
    assert got == [(topic, f"{i:03d}".encode()) for i in range(20)]


def test_a_single_loop_client_refuses_paho_s_callbacks() -> None:
    client = paho_link.SingleLoopClient(CallbackAPIVersion.VERSION2, client_id="ra-cb")
    with pytest.raises(TypeError, match="on_payload"):
        client.message_callback_add("cad/units/+/avl", lambda _c, _u, _m: None)
    with pytest.raises(TypeError, match="on_payload"):
        client.on_message = lambda _c, _u, _m: None
    assert client.on_message is None


def _subscribed(
    settings: Settings, topic: str, qos: int, on_payload: paho_link.PayloadCallback
) -> tuple[paho_link.SingleLoopClient, paho.Client]:
    """A single-loop reader subscribed to `topic` (its SUBACK read), and a threaded writer."""
    reader = paho_link.connect(
        harness_connection_url(settings), f"ra-reader-{uuid.uuid4().hex[:6]}", threaded=False,
        protocol=MQTTProtocolVersion.MQTTv311, kind=paho_link.SingleLoopClient,
    )  # fmt: skip
    assert isinstance(reader, paho_link.SingleLoopClient)
    writer = paho_link.connect(
        harness_connection_url(settings), f"ra-writer-{uuid.uuid4().hex[:6]}", threaded=True
    )
    reader.on_payload = on_payload
    reader.subscribe(topic, qos=qos)
    _pump(reader, until=lambda: False, for_s=0.3)
    return reader, writer


def _pump(client: paho_link.SingleLoopClient, *, until: Callable[[], bool], for_s: float) -> int:
    """Read like the AVL worker; how many packets came from what was read ahead."""
    sock = client.socket()
    assert sock is not None
    deadline = time.monotonic() + for_s
    from_memory = 0
    while time.monotonic() < deadline and not until():
        ahead = client.has_read_ahead()
        if not ahead and not select.select([sock], [], [], 0.05)[0]:
            continue
        from_memory += ahead
        assert client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
    return from_memory
