"""Generator process for scenario 4: publishes call events at a fixed rate and, as the MDTs,
times each call's first tasking; afterwards it stands the units down again.

Run as `python -m loadtests.bench.mqtt_load < CONFIG_JSON`; prints one JSON result line. One thread
and paho's manual loop, so the timestamps are not skewed by a second thread waiting for the GIL.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as paho
import psutil

from loadtests.bench.calls import bench_calls
from transport import paho_link

_DRAIN_S = 5.0
# A call that is queued (no unit free near it) never gets a tasking: stop waiting after a lull.
_LULL_S = 0.5
# en_route naming the tasking is its acknowledgement: without it the service escalates the
# tasking to another unit after CAD_ACK_TIMEOUT_S. Then on scene, then free again.
_STAND_DOWN = ("en_route", "on_scene", "available")


@dataclass(frozen=True)
class LoadConfig:
    """What one generator run does; rate 0 publishes every call at once (a burst)."""

    url: str
    root: str
    prefix: str
    seed: int
    calls: int
    rate: float
    stand_down: bool


class TaskingBook:
    """When each call was published, and when (and where) its taskings arrived."""

    def __init__(self, root: str) -> None:
        self._root = root
        self.sent: dict[str, float] = {}
        self.first: dict[str, float] = {}
        self.taskings: list[tuple[str, str, str]] = []  # callsign, tasking id, incident ref
        self.refs: dict[str, set[str]] = {}

    def on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        arrived = time.perf_counter()
        body = json.loads(message.payload)
        call_id = body["call_id"]
        callsign = message.topic.split("/")[-2]
        self.taskings.append((callsign, body["tasking_id"], body["incident_ref"]))
        self.refs.setdefault(call_id, set()).add(body["incident_ref"])
        if call_id in self.sent and call_id not in self.first:
            self.first[call_id] = arrived

    def latencies_ms(self) -> list[float]:
        return [(t - self.sent[c]) * 1000 for c, t in self.first.items()]


def _pump(client: paho.Client, until: float, done: Any = None) -> None:
    while time.perf_counter() < until and not (done and done()):
        client.loop(0.01)


def _drain(client: paho.Client, book: TaskingBook, calls: int) -> None:
    """Until every call has its tasking, or none arrived for a while, or the drain time ends."""
    # A backlogged service may answer its calls all at once, late: allow ~100 calls/s.
    deadline = time.perf_counter() + _DRAIN_S + calls / 100
    seen, lull_from = len(book.first), time.perf_counter()
    while len(book.first) < calls and time.perf_counter() < deadline:
        if len(book.first) != seen:
            seen, lull_from = len(book.first), time.perf_counter()
        elif seen and time.perf_counter() - lull_from > _LULL_S:
            return
        client.loop(0.01)


def run(config: LoadConfig) -> dict[str, Any]:
    """Publish, time, drain, stand down; the figures as a dict."""
    client = paho_link.connect(config.url, f"bench-load-{uuid.uuid4().hex[:8]}", threaded=False)
    book = TaskingBook(config.root)
    client.on_message = book.on_message
    subscribed: list[bool] = []
    client.on_subscribe = lambda *_: subscribed.append(True)
    client.subscribe(f"{config.root}/units/+/tasking", qos=1)
    # The SUBACK, before the first call counts.
    _pump(client, time.perf_counter() + _DRAIN_S, lambda: bool(subscribed))
    calls = bench_calls(config.prefix, config.calls, config.seed)
    topic = f"{config.root}/calls/in"
    process = psutil.Process()
    process.cpu_percent(None)
    started = time.perf_counter()
    interval = 1.0 / config.rate if config.rate > 0 else 0.0
    for i, call in enumerate(calls):
        due = started + i * interval
        now = time.perf_counter()
        if due > now:
            _pump(client, due)
        payload = call.payload()
        book.sent[call.call_id] = time.perf_counter()
        client.publish(topic, payload, qos=1)
    published_s = time.perf_counter() - started
    _drain(client, book, len(calls))
    elapsed = max(book.first.values(), default=started) - started
    cpu = process.cpu_percent(None)
    if config.stand_down:
        _stand_down(client, config.root, book)
    paho_link.close(client, threaded=False)
    return {
        "published": len(calls),
        "published_s": published_s,
        "tasked_calls": len(book.first),
        "taskings": len(book.taskings),
        "calls_on_two_incidents": sum(1 for refs in book.refs.values() if len(refs) > 1),
        "elapsed_s": elapsed,
        "latencies_ms": book.latencies_ms(),
        "cpu_pct": cpu,
    }


def _stand_down(client: paho.Client, root: str, book: TaskingBook) -> None:
    """As each MDT: acknowledge, attend, clear, so the next run finds the fleet free."""
    infos = []
    for callsign, tasking_id, ref in book.taskings:
        for status in _STAND_DOWN:
            report = {
                "status": status, "ts": datetime.now(UTC).isoformat(),
                "tasking_id": tasking_id, "incident_ref": ref,
            }  # fmt: skip
            infos.append(client.publish(f"{root}/units/{callsign}/status", json.dumps(report), 1))
            client.loop(0)
    deadline = time.perf_counter() + _DRAIN_S
    _pump(client, deadline, lambda: all(i.is_published() for i in infos))


def main() -> None:
    """Entry point: the config as one JSON line on stdin, the result as JSON on stdout."""
    config = LoadConfig(**json.loads(sys.stdin.readline()))
    print(json.dumps(run(config)))


if __name__ == "__main__":
    main()
