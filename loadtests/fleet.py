"""The fleet simulator as a load generator: `python -m loadtests.fleet --duration 300`.

The same code as `cad demo`'s MDTs (`service/demo/mdt_sim.py`), pointed at the configured service:
it registers the seeded fleet in CAD_REDIS_URL and connects every unit's MDT to CAD_MQTT_URL's
broker, whose password file must hold the units (`python -m transport.broker_security add-units`).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from cad.settings import get_settings
from cad.topics import Topics
from dispatch.scripts import register_scripts
from dispatch.units import register_unit
from service.demo.fleet import build_fleet
from service.demo.mdt_sim import SimulatedFleet
from transport.broker_security import development_credentials
from transport.redis_client import open_redis


async def run_fleet(*, units_per_area: int, seed: int, time_scale: float, duration_s: float) -> str:
    """Register and run the fleet for `duration_s`; a one-line account of what it did."""
    settings = get_settings()
    fleet = build_fleet(units_per_area, seed)
    redis = open_redis(settings)
    try:
        scripts = register_scripts(redis)
        now_ms = int(time.time() * 1000)
        for unit in fleet:
            await register_unit(redis, scripts, unit, now_ms=now_ms, actor="loadtest:fleet")
    finally:
        await redis.aclose()
    sim = SimulatedFleet(
        fleet,
        development_credentials(settings.mdt_credential_secret),
        mqtt_url=settings.mqtt_url,
        topics=Topics(settings.topic_root),
        seed=seed,
        time_scale=time_scale,
        brokers=settings.mqtt_brokers,
    )
    await sim.start()
    try:
        await asyncio.sleep(duration_s)
    finally:
        await sim.stop()
    tally = sim.tally
    return (
        f"{len(fleet)} MDTs for {duration_s:g}s: {tally.acknowledged} taskings acknowledged, "
        f"{tally.cleared} jobs cleared, {tally.withdrawn} withdrawn"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run the fleet."""
    parser = argparse.ArgumentParser(prog="python -m loadtests.fleet")
    parser.add_argument("--units-per-area", type=int, default=24)
    parser.add_argument("--seed", type=int, default=999)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args(argv)
    print(
        asyncio.run(
            run_fleet(
                units_per_area=args.units_per_area,
                seed=args.seed,
                time_scale=args.time_scale,
                duration_s=args.duration,
            )
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
