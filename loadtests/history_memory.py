"""Redis memory over a simulated shift, with the history archiver running and without it.

    python -m loadtests.history_memory [--incidents 5000] [--keep-s 20] [--grace-s 20]

Each run starts its own redis-server, mosquitto and (with the archiver) PostgreSQL, serves the
app in process, and records `--incidents` calls over HTTP, each at its own place in London and
each referred at once (a whole life cycle: created, then final); then it waits out the
archiver's live window and grace, and prints Redis's `used_memory` (INFO memory) at the start,
every thousand incidents and at the end. What remains per incident with the archiver is the
call record (idempotency by call id, with the caller's data), kept until
CAD_CALLER_DATA_RETENTION_S as before; see docs/history.md for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvloop

from cad.settings import Settings, get_settings
from cad.tokens import Role, dev_token_for, new_dev_secret
from service.app import create_app
from service.postgres_server import embedded_postgres
from service.runtime import Runtime
from service.servers import mosquitto, redis_server
from transport.redis_client import open_redis
from transport.redis_types import AsyncRedis

_REPORT_EVERY = 1_000
# Inner London, where the gazetteer has a BCU for every point.
_WEST, _EAST, _SOUTH, _NORTH = -0.25, 0.05, 51.45, 51.56


@contextlib.contextmanager
def _servers(workdir: Path, *, archive: bool) -> Iterator[Settings]:
    redis = redis_server(workdir / "redis", acl_extra=("+info",))
    broker = mosquitto(workdir / "mosquitto")
    redis.start()
    broker.start()
    try:
        overrides: dict[str, object] = {
            "redis_url": redis.url, "mqtt_url": broker.url, "avl_workers": 0,
            "environment": "development", "auth_dev_secret": new_dev_secret(),
            "rate_limit_per_s": 1e6, "rate_limit_burst": 1_000_000, "log_level": "WARNING",
        }  # fmt: skip
        if archive:
            with embedded_postgres() as postgres:
                yield get_settings(**overrides, database_url=postgres.url)
        else:
            yield get_settings(**overrides)
    finally:
        broker.stop()
        redis.stop()


async def _used_memory(redis: AsyncRedis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


def _call(n: int, rng: random.Random) -> dict[str, object]:
    return {
        "call_id": f"shift-{n}", "received_at": datetime.now(UTC).isoformat(), "source": "999",
        "location": {"lon": rng.uniform(_WEST, _EAST), "lat": rng.uniform(_SOUTH, _NORTH)},
        "incident_type": "lost_property", "cli": f"0770090{n:04d}"[-11:],
        "text": "lost a wallet on the bus, black leather, cards inside",
    }  # fmt: skip


async def shift(incidents: int, *, archive: bool, keep_s: float, grace_s: float) -> list[int]:
    """One run: used_memory at the start, every thousand incidents, and at the end."""
    with tempfile.TemporaryDirectory(prefix="cad-memory-") as tmp:
        root = Path(tmp)
        (root / "redis").mkdir()
        (root / "mosquitto").mkdir()
        with _servers(root, archive=archive) as base:
            settings = base.model_copy(
                update={
                    "archive_interval_s": 1.0, "archive_keep_audit_s": keep_s,
                    "archive_incident_grace_s": grace_s,
                }
            )  # fmt: skip
            return await _run(settings, incidents)


async def _run(settings: Settings, incidents: int) -> list[int]:
    app = create_app(settings)
    token = dev_token_for(settings, subject="shift", roles=tuple(Role), ttl_s=3600)
    rng = random.Random(999)
    probe = open_redis(settings)
    figures = []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cad.shift",
            headers={"Authorization": f"Bearer {token}"},
        ) as http,
    ):  # fmt: skip
        figures.append(await _used_memory(probe))
        for n in range(1, incidents + 1):
            made = await http.post("/v1/calls", json=_call(n, rng))
            made.raise_for_status()
            ref = made.json()["incident"]["incident"]["ref"]
            referred = await http.post(f"/v1/incidents/{ref}/refer", json={"note": "found"})
            referred.raise_for_status()
            if n % _REPORT_EVERY == 0:
                figures.append(await _used_memory(probe))
                print(f"  {n} incidents: used_memory {figures[-1] / 1e6:.1f} MB", flush=True)
        runtime: Runtime = app.state.runtime
        if runtime.archiver is not None:
            # The live window and the grace run out; the archiver's rounds take what is due.
            await asyncio.sleep(
                max(settings.archive_keep_audit_s, settings.archive_incident_grace_s)
            )
            for _ in range(3):
                await runtime.archiver.archive_once()
        figures.append(await _used_memory(probe))
    await probe.aclose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=5_000)
    parser.add_argument("--keep-s", type=float, default=20.0, help="CAD_ARCHIVE_KEEP_AUDIT_S")
    parser.add_argument("--grace-s", type=float, default=20.0, help="CAD_ARCHIVE_INCIDENT_GRACE_S")
    args = parser.parse_args()
    for archive in (False, True):
        started = time.monotonic()
        label = "with the archiver" if archive else "without the archiver"
        print(f"{label}: {args.incidents} incidents recorded and referred")
        figures = uvloop.run(
            shift(args.incidents, archive=archive, keep_s=args.keep_s, grace_s=args.grace_s)
        )
        grown = figures[-1] - figures[0]
        print(
            f"{label}: used_memory {figures[0] / 1e6:.1f} MB at the start, "
            f"{figures[-1] / 1e6:.1f} MB at the end: {grown / args.incidents:.0f} bytes an "
            f"incident ({time.monotonic() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
