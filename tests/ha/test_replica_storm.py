"""A service replica killed -9 under a storm: nothing lost, nothing dispatched twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ha.storm import StormPlan, StormRun, run_storm, single_node

PLAN = StormPlan(replicas=3)


@pytest.mark.slow
async def test_a_replica_killed_under_a_storm_loses_nothing(tmp_path: Path) -> None:
    with single_node(tmp_path, PLAN) as (settings, _, _):

        async def kill_one(run: StormRun) -> None:
            run.replicas[sorted(run.replicas)[0]].kill()

        result = await run_storm(settings, PLAN, kill_one, tmp_path)
    print("\n" + result.report())
    assert result.lost == 0
    assert result.reconciliation.double_dispatches == 0
    assert result.reconciliation.assignments > 0
