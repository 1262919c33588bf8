"""kill -9 of the Redis primary under a storm: the replicas follow the failover the sentinels
make, and with `CAD_REDIS_WAIT_REPLICAS=1` no accepted call is lost and none dispatched twice.

A primary, two replicas and three sentinels (tests/ha/conftest.py, `down-after-milliseconds`
1000), two service replicas, one mosquitto, the storm of tests/ha/storm.py. Mid-storm the
primary is killed -9; once the sentinels name a promoted replica, the old primary is started
again (the sentinels make it a replica of the new one, about 10 s later: their INFO period).
The second replica is what answers the later calls' `WAIT 1` meanwhile; with one replica, every
call from the failover until the old primary's return was accepted unreplicated. Recovery is
bounded by FAILOVER_BOUND_S: 1 s to be thought down, the election and promotion (about 2-4 s on
loopback, docs/reliability.md) and the clients' reconnection.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.ha.conftest import SentinelSet
from tests.ha.storm import StormPlan, StormRun, run_storm, storm_broker

# The WAIT within the sentinel set's 2 s network timeout (the settings require it shorter).
PLAN = StormPlan(
    replicas=2, env={"CAD_REDIS_WAIT_REPLICAS": "1", "CAD_REDIS_WAIT_TIMEOUT_MS": "1000"}
)
FAILOVER_BOUND_S = 10.0


class KillThePrimary:
    """The fault: kill -9 the primary; once another is promoted, start the old one again."""

    def __init__(self, sentinel_set: SentinelSet) -> None:
        self._set = sentinel_set
        self.promoted_s: float | None = None

    async def __call__(self, run: StormRun) -> None:
        old = await asyncio.to_thread(self._set.primary)
        run.strike()
        old.kill()
        killed = time.monotonic()
        while await asyncio.to_thread(self._set.primary) is old:
            assert time.monotonic() - killed < 3 * FAILOVER_BOUND_S, "no failover"
            await asyncio.sleep(0.1)
        self.promoted_s = time.monotonic() - killed
        # Back as a replica of the promoted one (the sentinels reconfigure it).
        await asyncio.to_thread(old.start)


@pytest.mark.slow
async def test_a_primary_killed_under_a_storm_loses_no_call(
    sentinel_set_of_three: SentinelSet, tmp_path: Path
) -> None:
    broker = storm_broker(tmp_path / "broker", PLAN)
    broker.start()
    fault = KillThePrimary(sentinel_set_of_three)
    try:
        settings = sentinel_set_of_three.settings.model_copy(update={"mqtt_url": broker.url})
        result = await run_storm(settings, PLAN, fault, tmp_path)
    finally:
        broker.stop()
    print("\n" + result.report())
    print(f"the sentinels promoted a replica {fault.promoted_s:.2f} s after the kill")
    assert result.lost == 0
    assert result.reconciliation.double_dispatches == 0
    assert result.reconciliation.assignments > 0
    assert all(result.ready.values()), result.ready
    assert result.first_recorded_s is not None
    assert result.first_recorded_s <= FAILOVER_BOUND_S
    assert result.caught_up_s is not None
    assert result.caught_up_s <= FAILOVER_BOUND_S + 5.0
