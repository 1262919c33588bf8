"""CPU per message of our MQTT clients against an embedded mosquitto (docs/performance.md, "MQTT on
public APIs only"): `python -m loadtests.bench.mqtt_cpu [--messages N] [--runs R]`.

Each figure is one process's CPU from the first message to the last, over a flood a paho
publisher sends from a process of its own; the variants run in turn, R times, and the median is
printed with every run. Variants: `recv0` and `recv1` (a QoS 0 message, a QoS 1 message
acknowledged by hand, received by `transport/mqtt_client.py`'s client under uvloop, as the
service runs it), `rtt` (a QoS 1 publish to its PUBACK, one at a time), `avl` (a fix through the
AVL worker's link, `transport/avl_link.py`) and `paho-avl` (a fix through paho's public path,
`on_message` after `loop_read`, in the same kind of select loop).
"""

from __future__ import annotations

import argparse
import json
import select
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
import uvloop
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from cad.settings import get_settings
from service.servers import mosquitto
from transport import avl_link
from transport.mqtt import BrokerAddress, new_client
from transport.mqtt_logins import MqttLogin

VARIANTS = ("recv0", "recv1", "rtt", "avl", "paho-avl")
# A fix's size: the AVL payload the bench's generators send.
_PAYLOAD = b'{"lon":-0.1,"lat":51.5,"ts":"2026-12-04T02:00:00+00:00","speed":12.0,"heading":90}'
_BURST = 500


def _flood(url: str, topic: str, count: int, qos: int) -> subprocess.Popen[bytes]:
    """A paho publisher in its own process sending `count` messages to `topic`."""
    argv = [sys.executable, "-m", "loadtests.bench.mqtt_cpu", "flood", url, topic, str(count)]
    return subprocess.Popen([*argv, str(qos)])


def flood(url: str, topic: str, count: int, qos: int) -> None:
    """Send the flood (run in the publisher's own process)."""
    address = BrokerAddress.from_url(url)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"flood-{uuid.uuid4().hex[:8]}")
    client.max_inflight_messages_set(1000)
    client.connect(address.host, address.port)
    client.loop_start()
    time.sleep(0.3)
    sent = [client.publish(topic, _PAYLOAD, qos=qos) for _ in range(count)]
    for info in sent:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()


async def _receive(url: str, count: int, qos: int) -> float:
    settings = get_settings(mqtt_url=url)
    topic = f"bench/{uuid.uuid4().hex[:8]}"
    login = MqttLogin(url, f"cpu-{uuid.uuid4().hex[:8]}")
    client = new_client(settings, login, persistent=False, manual_ack=qos == 1)
    async with client:
        await client.subscribe(topic, qos=qos)
        publisher = _flood(url, topic, count, qos)
        received, started = 0, 0.0
        async for message in client.messages:
            received += 1
            if received == 1:
                started = time.process_time()
            client.ack(message)
            if received == count:
                break
        cpu = time.process_time() - started
        publisher.wait()
    return cpu / (count - 1)


async def _round_trips(url: str, count: int) -> float:
    settings = get_settings(mqtt_url=url)
    topic = f"bench/{uuid.uuid4().hex[:8]}"
    login = MqttLogin(url, f"cpu-{uuid.uuid4().hex[:8]}")
    async with new_client(settings, login, persistent=False) as client:
        started = time.process_time()
        for _ in range(count):
            await client.publish(topic, _PAYLOAD, qos=1)
        return (time.process_time() - started) / count


def _pump(read: Callable[[], bool], ready: Callable[[], bool], fd: int) -> None:
    """The AVL worker's kind of loop, one wake-up: wait for the socket, then read a burst."""
    if ready() or select.select([fd], [], [], 0.05)[0]:
        for _ in range(_BURST):
            if not read():
                return


def _fixes(url: str, count: int, *, through_paho: bool) -> float:
    topic = f"bench/{uuid.uuid4().hex[:8]}/units/PS1/avl"
    wildcard = topic.rsplit("/", 3)[0] + "/units/+/avl"
    got: list[tuple[str, bytes | bytearray]] = []
    if through_paho:
        address = BrokerAddress.from_url(url)
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=f"cpu-{uuid.uuid4().hex[:8]}",
            protocol=MQTTProtocolVersion.MQTTv311,
        )  # fmt: skip
        client.on_message = lambda _c, _u, m: got.append((m.topic, m.payload))
        client.connect(address.host, address.port)
        client.subscribe(wildcard, qos=0)
        sock = client.socket()
        assert sock is not None
        fd = sock.fileno()

        def read() -> bool:
            before = len(got)
            client.loop_read()
            return len(got) > before

        def ready() -> bool:
            return False  # paho reads a packet at a time: nothing waits unseen by select()

        close: Callable[[], object] = client.disconnect
    else:
        link = avl_link.connect(url, f"cpu-{uuid.uuid4().hex[:8]}")
        link.on_payload = lambda t, p: got.append((t, p))
        link.subscribe(wildcard)
        fd, read, ready, close = link.socket.fileno(), link.read, link.has_buffered, link.close
    deadline = time.monotonic() + 0.5  # the CONNACK and SUBACK
    while time.monotonic() < deadline:
        _pump(read, ready, fd)
    publisher = _flood(url, topic, count, 0)
    started, first = 0.0, 0
    while len(got) < count:
        _pump(read, ready, fd)
        if not first and got:
            started, first = time.process_time(), len(got)
    cpu = time.process_time() - started
    publisher.wait()
    close()
    return cpu / (count - first)


def measure(variant: str, url: str, count: int) -> float:
    """µs of CPU a message for one variant (run in a process of its own)."""
    if variant in ("recv0", "recv1"):
        seconds = uvloop.run(_receive(url, count, int(variant[-1])))
    elif variant == "rtt":
        seconds = uvloop.run(_round_trips(url, count))
    else:
        seconds = _fixes(url, count, through_paho=variant == "paho-avl")
    return seconds * 1e6


def main() -> None:
    """Start a broker, run every variant in turn `--runs` times, print the medians."""
    if sys.argv[1:2] == ["flood"]:
        flood(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return
    if sys.argv[1:2] == ["measure"]:
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=VARIANTS, default=list(VARIANTS))
    options = parser.parse_args()
    broker = mosquitto(Path(tempfile.mkdtemp(prefix="cad-mqtt-cpu-")))
    broker.start()
    results: dict[str, list[float]] = {variant: [] for variant in options.only}
    try:
        for _ in range(options.runs):
            for variant in options.only:
                argv = ["measure", variant, broker.url, str(options.messages)]
                out = subprocess.run(
                    [sys.executable, "-m", "loadtests.bench.mqtt_cpu", *argv],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                results[variant].append(json.loads(out.stdout))
    finally:
        broker.stop()
    for variant, runs in results.items():
        shown = ", ".join(f"{r:.1f}" for r in runs)
        print(f"{variant:9} {statistics.median(runs):6.1f} µs of CPU a message ({shown})")


if __name__ == "__main__":
    main()
