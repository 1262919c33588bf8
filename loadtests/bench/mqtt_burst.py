"""CPU per message of our MQTT client's writes in bursts, as the service's intake and taskings
make them, against an embedded mosquitto (docs/performance.md, "The call path's edges"):
`python -m loadtests.bench.mqtt_burst [--messages N] [--runs R]`.

Variants: `acks` (a flood of QoS 1 messages received by `transport/mqtt_client.py`'s client
under uvloop, each acknowledged by hand from its own task's done callback, as the intake does) and
`pubs` (QoS 1 publishes in windows of 50 at once, each to its PUBACK, as a burst of taskings
goes). Each figure is the measuring process's CPU, and the broker's, from the first message to
the last, divided by the messages; the variants run in turn, R times, medians with every run.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import uvloop

from cad.settings import get_settings
from service.servers import mosquitto
from transport.mqtt import new_client
from transport.mqtt_client import Client, Message
from transport.mqtt_logins import MqttLogin

VARIANTS = ("acks", "pubs")
_WINDOW = 50
# A tasking's size, about.
_PAYLOAD = (
    b'{"tasking_id":"T-5f0c2a9e","incident_ref":"CAD 0042/04DEC26","grade":"I","incident_type":'
    b'"burglary_in_progress","location":{"lon":-0.1,"lat":51.5},"eta_s":240,"issued_at":'
    b'"2026-12-04T14:00:00+00:00"}'
)
_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """A process's CPU seconds so far (user and system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S


def _flood(url: str, topic: str, count: int) -> subprocess.Popen[bytes]:
    """loadtests.bench.mqtt_cpu's paho publisher, in its own process, sending QoS 1."""
    argv = [sys.executable, "-m", "loadtests.bench.mqtt_cpu", "flood", url, topic, str(count)]
    return subprocess.Popen([*argv, "1"])


def _ack(client: Client, message: Message, _done: asyncio.Future[None]) -> None:
    client.ack(message)


async def _acks(url: str, count: int) -> float:
    settings = get_settings(mqtt_url=url)
    topic = f"bench/{uuid.uuid4().hex[:8]}"
    login = MqttLogin(url, f"burst-{uuid.uuid4().hex[:8]}")
    async with new_client(settings, login, persistent=False, manual_ack=True) as client:
        await client.subscribe(topic, qos=1)
        publisher = _flood(url, topic, count)
        received, started = 0, 0.0
        async for message in client.messages:
            received += 1
            if received == 1:
                started = time.process_time()
            # Acknowledged when its handling is done, as transport/mqtt.py does.
            handled: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            handled.add_done_callback(functools.partial(_ack, client, message))
            handled.set_result(None)
            if received == count:
                break
        await asyncio.sleep(0.1)  # the last acknowledgements out
        cpu = time.process_time() - started
        publisher.wait()
    return cpu / (count - 1)


async def _pubs(url: str, count: int) -> float:
    settings = get_settings(mqtt_url=url)
    topic = f"bench/{uuid.uuid4().hex[:8]}"
    login = MqttLogin(url, f"burst-{uuid.uuid4().hex[:8]}")
    async with new_client(settings, login, persistent=False) as client:
        started = time.process_time()
        for _ in range(count // _WINDOW):
            await asyncio.gather(*(client.publish(topic, _PAYLOAD, qos=1) for _ in range(_WINDOW)))
        return (time.process_time() - started) / (count // _WINDOW * _WINDOW)


def measure(variant: str, url: str, count: int) -> float:
    """µs of CPU a message for one variant (run in a process of its own)."""
    run = _acks if variant == "acks" else _pubs
    return uvloop.run(run(url, count)) * 1e6


def main() -> None:
    """Start a broker, run every variant in turn `--runs` times, print the medians."""
    if sys.argv[1:2] == ["measure"]:
        print(json.dumps(measure(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=VARIANTS, default=list(VARIANTS))
    options = parser.parse_args()
    broker = mosquitto(Path(tempfile.mkdtemp(prefix="cad-mqtt-burst-")))
    broker.start()
    assert broker.proc is not None
    results: dict[str, list[tuple[float, float]]] = {variant: [] for variant in options.only}
    try:
        for _ in range(options.runs):
            for variant in options.only:
                argv = ["measure", variant, broker.url, str(options.messages)]
                broker_before = _cpu_of(broker.proc.pid)
                out = subprocess.run(
                    [sys.executable, "-m", "loadtests.bench.mqtt_burst", *argv],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                # The broker's CPU over the whole measuring process (its connect, subscribe and
                # the flood's publishes too): the same overheads on either side of a change.
                broker_us = (_cpu_of(broker.proc.pid) - broker_before) / options.messages * 1e6
                results[variant].append((json.loads(out.stdout), broker_us))
    finally:
        broker.stop()
    for variant, runs in results.items():
        ours = ", ".join(f"{r:.1f}" for r, _ in runs)
        theirs = ", ".join(f"{b:.1f}" for _, b in runs)
        print(
            f"{variant:5} client {statistics.median(r for r, _ in runs):6.1f} µs ({ours}); "
            f"broker {statistics.median(b for _, b in runs):6.1f} µs ({theirs}) a message"
        )


if __name__ == "__main__":
    main()
