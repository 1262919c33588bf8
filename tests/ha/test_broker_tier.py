"""A broker node killed -9 under a storm of QoS 1 calls, the MDTs answering: a tier of two
mosquittos (transport/broker_tier.py), the service on both, the gateway and the MDTs failing
over from the killed one, which stays dead. Nothing accepted is lost, no tasking is lost, no
unit is sent twice; the recovery is timed (`pytest -s` prints it)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from cad.keys import AreaKeys, GlobalKeys
from cad.settings import Settings, get_settings
from service.servers import LOOPBACK, EmbeddedServer, redis_server
from tests.ha.storm import StormPlan, StormRun, run_storm, storm_broker, storm_settings
from tests.helpers import eventually
from transport.redis_client import open_redis

pytestmark = pytest.mark.slow

# A lost call is recorded within the lease and a reconnection; a tasking lost with the broker
# is sent again within CAD_TASKING_RESEND_S (5 s) of its first sending, once the MDT is back.
RECOVERY_BOUND_S = 15.0


@contextlib.contextmanager
def broker_tier(
    workdir: Path, plan: StormPlan, brokers: int = 2
) -> Iterator[tuple[Settings, list[EmbeddedServer]]]:
    """A redis-server and `brokers` mosquittos that know the storm's MDTs, on loopback; the
    settings that reach the tier (`CAD_MQTT_BROKERS`), and the brokers; all stopped at the end."""
    (workdir / "redis").mkdir()
    redis = redis_server(workdir / "redis")
    tier = [storm_broker(workdir / f"broker-{n}", plan) for n in range(brokers)]
    started: list[EmbeddedServer] = []
    try:
        for server in (redis, *tier):
            server.start()
            started.append(server)
        addresses = ",".join(f"{LOOPBACK}:{b.port}" for b in tier)
        settings = get_settings(
            redis_url=redis.url, mqtt_url=tier[0].url, mqtt_brokers=addresses, avl_workers=brokers
        )
        yield settings, tier
    finally:
        for server in reversed(started):
            server.stop()


@dataclass(frozen=True)
class TaskingOutcomes:
    """Each assignment in the audit, by what came of its tasking."""

    acknowledged: int
    escalated: int
    # Pre-empted, stood down, or overtaken by the unit's next report (it had cleared already).
    superseded: int
    unanswered: tuple[str, ...]


async def tasking_outcomes(redis: Redis) -> TaskingOutcomes:
    """Replay every area's audit: after each `unit_assigned`, the unit's next entry says whether
    its MDT acknowledged the tasking (en route), the watch escalated it, or something else
    ended it; an assignment with nothing after it is a tasking nobody answered."""
    counts = {"acknowledged": 0, "escalated": 0, "superseded": 0}
    unanswered: list[str] = []
    for area in sorted(await redis.smembers(GlobalKeys().areas)):
        waiting: dict[str, str] = {}
        for _, entry in await redis.xrange(AreaKeys(area).audit):
            callsign, kind = entry.get("callsign", ""), entry.get("type")
            if kind == "unit_assigned":
                waiting[callsign] = entry.get("tasking_id", "")
            elif callsign in waiting and kind and kind.startswith("unit_"):
                del waiting[callsign]
                status = entry.get("status")
                key = {"en_route": "acknowledged", "unresponsive": "escalated"}.get(
                    status or "", "superseded"
                )
                counts[key] += 1
        unanswered += [f"{area}:{callsign}:{tid}" for callsign, tid in waiting.items()]
    return TaskingOutcomes(**counts, unanswered=tuple(sorted(unanswered)))


async def test_a_broker_killed_under_a_storm_loses_nothing(tmp_path: Path) -> None:
    # One replica (the tier is what is tried), two AVL workers (one on each broker: the settings
    # demand it); the harness's storm of 12 s, the fault at 4 s, the fleet at 600x.
    plan = StormPlan(replicas=1, avl_workers=2)
    killed_at: list[float] = []

    async def kill_first_broker(run: StormRun) -> None:
        # Everyone starts on the first broker of the list: the gateway, the MDTs, worker 0.
        tier[0].kill()
        killed_at.append(time.monotonic())

    with broker_tier(tmp_path, plan) as (settings, tier):
        result = await run_storm(settings, plan, kill_first_broker, tmp_path)
        redis = open_redis(storm_settings(settings))
        try:

            async def no_unit_waits() -> bool:
                return not (await tasking_outcomes(redis)).unanswered

            # Every tasking answered, or escalated after CAD_ACK_TIMEOUT_S (10 s in the storm).
            await eventually(no_unit_waits, within_s=30)
            outcomes = await tasking_outcomes(redis)
        finally:
            await redis.aclose()
    resent = sum(
        (tmp_path / f"{login}.log").read_text().count('"tasking_resent"') for login in result.ready
    )
    print(
        f"\nbroker tier of 2, the first killed -9 at {result.fault_s:.1f} s and left dead: "
        f"{result.report()}; taskings: {outcomes.acknowledged} acknowledged, "
        f"{outcomes.escalated} escalated, {outcomes.superseded} superseded, "
        f"{len(outcomes.unanswered)} unanswered, {resent} sent again"
    )
    assert killed_at, "the fault never struck"
    assert result.lost == 0, result.reconciliation.lost_calls
    assert result.reconciliation.double_dispatches == 0
    assert len(result.accepted) >= plan.seconds * plan.calls_per_s * 0.8
    assert outcomes.unanswered == ()
    assert outcomes.acknowledged > 0
    assert result.first_recorded_s is not None
    assert result.first_recorded_s < RECOVERY_BOUND_S
    assert result.caught_up_s is not None
    assert result.caught_up_s < RECOVERY_BOUND_S
    assert all(result.ready.values()), result.ready
