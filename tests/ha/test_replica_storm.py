"""A service replica killed -9 under a storm: nothing lost, nothing dispatched twice, and every
role it led (the intake's session, each led job) taken over by a survivor within the lease bound.

Three replicas on one redis-server and one mosquitto (tests/ha/storm.py); the replica killed is
the one that leads the most (the intake's holder first). The lease is 3 s for the intake and for
the jobs, so a role passes on within `takeover_bound_s(3.0)` = 4 s of the kill; the allowance
over that covers reading each survivor's /readyz and connecting the intake's session on a
loaded machine.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.ha.storm import StormPlan, StormRun, leaders, run_storm, single_node
from transport.led_job import takeover_bound_s

PLAN = StormPlan(replicas=3, lease_s=3.0)
ALLOWANCE_S = 1.5
TAKEOVER_BOUND_S = takeover_bound_s(PLAN.lease_s) + ALLOWANCE_S
# The first call after the kill waits at most for the intake's takeover, then is recorded.
RECOVERY_BOUND_S = TAKEOVER_BOUND_S + 1.0


class KillTheLeader:
    """The fault: kill -9 the replica that leads the most, then time each of its roles' takeover."""

    def __init__(self) -> None:
        self.victim = ""
        self.roles: list[str] = []
        self.taken_over_s: dict[str, float] = {}
        self.final: dict[str, list[str]] = {}

    async def __call__(self, run: StormRun) -> None:
        led = await leaders(run.replicas)
        counts = {
            login: sum(login in holders for holders in led.values()) for login in run.replicas
        }
        self.victim = max(run.replicas, key=lambda login: (login in led["intake"], counts[login]))
        self.roles = sorted(role for role, holders in led.items() if self.victim in holders)
        run.strike()
        run.replicas[self.victim].kill()
        killed = time.monotonic()
        survivors = {k: v for k, v in run.replicas.items() if k != self.victim}
        while len(self.taken_over_s) < len(self.roles):
            assert time.monotonic() - killed < 3 * TAKEOVER_BOUND_S, self.taken_over_s
            now_led = await leaders(survivors)
            for role in self.roles:
                if now_led.get(role) and role not in self.taken_over_s:
                    self.taken_over_s[role] = time.monotonic() - killed
            await asyncio.sleep(0.1)
        self.final = await leaders(survivors)


@pytest.mark.slow
async def test_a_replica_killed_under_a_storm_loses_nothing(tmp_path: Path) -> None:
    fault = KillTheLeader()
    with single_node(tmp_path, PLAN) as (settings, _, _):
        result = await run_storm(settings, PLAN, fault, tmp_path)
    print("\n" + result.report())
    print(
        f"killed {fault.victim}, which led {fault.roles}; taken over after "
        + ", ".join(f"{role} {s:.2f} s" for role, s in sorted(fault.taken_over_s.items()))
        + f" (bound {TAKEOVER_BOUND_S:g} s)"
    )
    assert result.lost == 0
    assert result.reconciliation.double_dispatches == 0
    assert result.reconciliation.assignments > 0
    assert "intake" in fault.roles
    assert max(fault.taken_over_s.values()) <= TAKEOVER_BOUND_S, fault.taken_over_s
    # Every role led by exactly one survivor, and both survivors ready.
    assert all(len(holders) == 1 for holders in fault.final.values()), fault.final
    assert len(result.ready) == 2, result.ready
    assert all(result.ready.values()), result.ready
    assert result.first_recorded_s is not None
    assert result.first_recorded_s <= RECOVERY_BOUND_S
