"""Generator process for scenario 5: keep-alive HTTP/1.1 POSTs from a few connections, timed.

Run as `python -m loadtests.bench.http_load < CONFIG_JSON`; prints one JSON result line. A raw
asyncio client on uvloop: an HTTP library's own overhead would be measured instead of the server's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import psutil
import uvloop

from loadtests.bench.calls import bench_calls
from loadtests.bench.pacing import start_when_due


@dataclass(frozen=True)
class HttpConfig:
    """Where to POST, how hard, for how long; every body is a distinct ungraded call event."""

    host: str
    port: int
    path: str
    prefix: str
    seed: int
    max_requests: int
    concurrency: int
    duration_s: float
    # A bearer token for the service (the trivial endpoint ignores it).
    token: str = ""
    # Above 0, an open loop: request i is due at i / rate and its latency counts from then, so
    # waiting for a free connection counts too. At 0, each connection posts back to back.
    rate_per_s: float = 0.0


async def _connection(
    config: HttpConfig,
    bodies: list[bytes],
    counter: list[int],
    window: tuple[float, float],
    out: dict[str, Any],
) -> None:
    reader, writer = await asyncio.open_connection(config.host, config.port)
    head = (
        f"POST {config.path} HTTP/1.1\r\nHost: {config.host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {config.token}\r\n"
    )
    try:
        begun, stop_at = window
        while time.perf_counter() < stop_at and counter[0] < len(bodies):
            if config.rate_per_s > 0 and begun + counter[0] / config.rate_per_s > stop_at:
                break
            i = counter[0]
            counter[0] += 1
            body = bodies[i]
            if config.rate_per_s > 0:
                started = await start_when_due(begun + i / config.rate_per_s)
            else:
                started = time.perf_counter()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status_line = await reader.readuntil(b"\r\n")
            headers = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in headers.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            status = int(status_line.split()[1])
            if status in (200, 201):
                out["latencies_ms"].append((time.perf_counter() - started) * 1000)
                out["ok_ids"].append(i)
            else:
                out["errors"][str(status)] = out["errors"].get(str(status), 0) + 1
    finally:
        writer.close()


async def run(config: HttpConfig) -> dict[str, Any]:
    """Drive the endpoint for the duration; latencies, ok call indexes, errors, CPU."""
    bodies = [
        c.payload(graded=False)
        for c in bench_calls(config.prefix, config.max_requests, config.seed)
    ]
    out: dict[str, Any] = {"latencies_ms": [], "ok_ids": [], "errors": {}}
    counter = [0]
    process = psutil.Process()
    process.cpu_percent(None)
    started = time.perf_counter()
    window = (started, started + config.duration_s)
    await asyncio.gather(
        *(_connection(config, bodies, counter, window, out) for _ in range(config.concurrency))
    )
    out["elapsed_s"] = time.perf_counter() - started
    out["sent"] = counter[0]
    out["cpu_pct"] = process.cpu_percent(None)
    return out


def main() -> None:
    """Entry point: the config as one JSON line on stdin, the result as JSON on stdout."""
    config = HttpConfig(**json.loads(sys.stdin.readline()))
    print(json.dumps(uvloop.run(run(config))))


if __name__ == "__main__":
    main()
