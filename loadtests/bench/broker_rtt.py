"""Scenario 3: the raw broker round trip, paho publish to paho subscribe, without the service."""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as paho
import psutil

from loadtests.bench.context import bench_root
from loadtests.bench.stats import Figures, figures
from transport import paho_link
from transport.mqtt_logins import GeneratorLogins

_WAIT_S = 5.0


def run(generators: GeneratorLogins, *, pings: int, flood: int) -> tuple[Figures, float]:
    """One run: round-trip latency over `pings` QoS 1 messages, then msgs/s over a QoS 0 flood."""
    topic = f"{bench_root(f'bench-{uuid.uuid4().hex[:8]}')}/rtt"
    arrived = threading.Event()
    received = [0]

    def on_message(_c: paho.Client, _u: object, _m: paho.MQTTMessage) -> None:
        received[0] += 1
        arrived.set()

    # Two connections, two logins: a broker with logins binds each client id to its login.
    sub_login, pub_login = generators.next(), generators.next()
    sub = paho_link.connect(sub_login.url, sub_login.client_id, threaded=True)
    pub = paho_link.connect(pub_login.url, pub_login.client_id, threaded=True)
    try:
        sub.on_message = on_message
        sub.subscribe(topic, qos=1)
        time.sleep(0.2)  # the SUBACK, before the first ping counts
        process = psutil.Process()
        process.cpu_percent(None)
        latencies: list[float] = []
        started = time.perf_counter()
        for _ in range(pings):
            arrived.clear()
            sent = time.perf_counter()
            pub.publish(topic, b"x" * 200, qos=1)
            if arrived.wait(_WAIT_S):
                latencies.append((time.perf_counter() - sent) * 1000)
        elapsed = time.perf_counter() - started
        result = figures(latencies, elapsed, cpu_pct=process.cpu_percent(None))
        received[0] = 0
        started = time.perf_counter()
        for _ in range(flood):
            pub.publish(topic, b"x" * 200, qos=0)
        deadline = started + _WAIT_S
        while received[0] < flood and time.perf_counter() < deadline:
            time.sleep(0.002)
        flood_rate = received[0] / (time.perf_counter() - started)
    finally:
        paho_link.close(pub, threaded=True)
        paho_link.close(sub, threaded=True)
    return result, flood_rate
