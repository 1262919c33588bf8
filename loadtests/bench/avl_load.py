"""Generator process for AVL: every unit of the fleet reports its position, paced or as a flood.

Run as `python -m loadtests.bench.avl_load < CONFIG_JSON` (the fleet as [callsign, lon, lat]
rows); it prints one JSON result line. Paced: `rate` fixes per unit per second until SIGTERM or the
duration ends. Flood: `rounds` fixes per unit as fast as paho sends them, the last round stamped
with `final_ts_ms` so whoever ingests can tell when it has everything.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psutil

from transport import paho_link

# Fixes go out in small batches every tick: a steady stream, not one spike a second.
_TICK_S = 0.01


@dataclass(frozen=True)
class AvlConfig:
    """What one AVL generator does."""

    url: str
    root: str
    fleet: list[tuple[str, float, float]]
    rate: float = 1.0
    duration_s: float = 0.0
    rounds: int = 0
    final_ts_ms: int = 0


def _fix(lon: float, lat: float, ts: str) -> bytes:
    return f'{{"lon":{lon:.6f},"lat":{lat:.6f},"ts":"{ts}"}}'.encode()


def run(config: AvlConfig) -> dict[str, Any]:
    """Publish the fixes; the count, the achieved rate and this process's CPU."""
    client = paho_link.connect(config.url, f"bench-avl-{uuid.uuid4().hex[:8]}", threaded=True)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    topics = [f"{config.root}/units/{c}/avl" for c, _, _ in config.fleet]
    process = psutil.Process()
    process.cpu_percent(None)
    started_at = time.time()
    started = time.perf_counter()
    sent = 0
    if config.rounds:
        for r in range(config.rounds):
            last = r == config.rounds - 1
            ts = _iso(config.final_ts_ms) if last else datetime.now(UTC).isoformat()
            for topic, (_, lon, lat) in zip(topics, config.fleet, strict=True):
                client.publish(topic, _fix(lon, lat, ts), qos=0)
                sent += 1
    else:
        per_s = len(topics) * config.rate
        end = started + config.duration_s if config.duration_s else float("inf")
        while not stop[0] and time.perf_counter() < end:
            due = int((time.perf_counter() - started) * per_s)
            ts = datetime.now(UTC).isoformat()
            while sent < due:
                _, lon, lat = config.fleet[sent % len(topics)]
                client.publish(topics[sent % len(topics)], _fix(lon, lat, ts), qos=0)
                sent += 1
            time.sleep(_TICK_S)
    elapsed = time.perf_counter() - started
    cpu = process.cpu_percent(None)
    paho_link.close(client, threaded=True)
    return {"sent": sent, "started_at": started_at, "rate_per_s": sent / elapsed, "cpu_pct": cpu}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def main() -> None:
    """Entry point: the config as one JSON line on stdin, the result as JSON on stdout."""
    print(json.dumps(run(AvlConfig(**json.loads(sys.stdin.readline())))), flush=True)


if __name__ == "__main__":
    main()
