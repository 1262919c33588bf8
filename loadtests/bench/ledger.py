"""Every call a scenario sent, run by run, and the verdict once the service's backlog has cleared:
a call still not recorded then is lost; a unit committed twice is a double dispatch."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from loadtests.bench.calls import BenchCall
from loadtests.bench.reconcile import reconcile
from loadtests.bench.results import merge_reconciliations
from transport.redis_types import AsyncRedis

# After a scenario, the service gets this long to work through a backlog before calls count lost.
BACKLOG_S = 60.0


@dataclass
class Ledger:
    """Every call of a scenario, per run, and what each run's own reconciliation found."""

    batches: list[tuple[list[BenchCall], int]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    async def settle(self, redis: AsyncRedis) -> dict[str, Any]:
        """Once the service's backlog has cleared: a call still not recorded is lost."""
        deadline = time.monotonic() + BACKLOG_S
        last = -1
        while True:
            found = [await reconcile(redis, calls, since) for calls, since in self.batches]
            lost = [c for f in found for c in f.lost]
            if not lost or len(lost) == last or time.monotonic() > deadline:
                break
            last = len(lost)
            await asyncio.sleep(2.0)
        total = merge_reconciliations(self.checks)
        # Every call the final check covered, a warm-up's too.
        total["calls"] = sum(len(calls) for calls, _ in self.batches)
        # A run's own check counts the calls not yet recorded when it ended as late, not lost.
        total["late_at_run_end"] = total.pop("lost", 0)
        total["lost"] = len(lost)
        # The runs' audit windows overlap (each reads to the end): count each finding once.
        doubles = sorted({d for f in found for d in f.double_dispatches})
        total["double_dispatches"] = len(doubles)
        total["examples"] = (lost + doubles)[:5]
        return total
