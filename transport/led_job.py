"""Periodic jobs led by one replica at a time, each under its own Redis lease.

Every replica runs every led job's task; only the holder of the job's lease (`cad:lease:job:
{name}`, `CAD_JOB_LEASE_S`) runs its rounds. The task renews the lease every third of its life,
so a leader that dies is replaced by the first other replica to ask once the lease lapses: within
the lease and one renewal interval, `takeover_bound_s`. A leader that stops releases its leases
and another takes them at its next ask. A replica that is not leader is healthy: asking is its
work, and a failure to ask (Redis down) fails its task like any other round.

Leading is what keeps a job's side effects single (one escalation notice, one alarm message) and
its cost paid once; the jobs' own scripts still change each record once (docs/reliability.md,
"Replicas"), so two leaders for a moment (a lease lost in a Redis failover) duplicate only reads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cad.keys import GlobalKeys
from cad.logs import log
from cad.supervisor import Supervisor
from cad.waits import cancel_all_and_wait
from transport.lease import Lease
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.led_job")

# The lease is renewed this many times in its life: one failed renewal does not lose it.
_RENEWALS_PER_LEASE = 3


def takeover_bound_s(lease_s: float) -> float:
    """How long a dead leader's jobs may go unled: the lease lapses, then a survivor's next ask
    (every third of the lease) takes it."""
    return lease_s + lease_s / _RENEWALS_PER_LEASE


class LedJob:
    """One periodic job: `round_` every `interval_s`, run only while this replica leads it."""

    def __init__(
        self,
        redis: AsyncRedis,
        name: str,
        round_: Callable[[], Awaitable[Any]],
        *,
        holder: str,
        lease_s: float,
        interval_s: float,
        first_after_s: float = 0.0,
    ) -> None:
        self.name = name
        self._lease = Lease(redis, GlobalKeys().job_lease(name), holder=holder, ttl_s=lease_s)
        self._holder = holder
        self._round = round_
        self._interval_s = interval_s
        self._next_round = time.monotonic() + first_after_s
        self._leading = False
        # Asked at least every third of the lease, and as often as the job's own rounds.
        self.ask_every_s = min(interval_s, lease_s / _RENEWALS_PER_LEASE)

    @property
    def leading(self) -> bool:
        """Whether this replica leads the job now (its last ask got the lease, still valid)."""
        return self._leading and self._lease.valid

    async def tick(self) -> None:
        """Take or renew the lease; run the round when leading and it is due. A Redis error
        raises, as the round itself would (the supervisor logs it and backs off)."""
        try:
            held = await self._lease.hold()
        except Exception:
            self._leading = False
            raise
        if held != self._leading:
            event = "job_led" if held else "job_led_elsewhere"
            log(logger, logging.INFO, event, job=self.name, replica=self._holder)
            self._leading = held
        now = time.monotonic()
        if held and now >= self._next_round:
            self._next_round = now + self._interval_s
            await self._round()

    async def release(self) -> None:
        """Hand the lease over at once (on shutdown), if this replica holds it."""
        self._leading = False
        await self._lease.release()


class LedJobs:
    """The led jobs of one replica: each started under the supervisor, released on stop."""

    def __init__(self, redis: AsyncRedis, supervisor: Supervisor, *, holder: str, lease_s: float):
        self._redis = redis
        self._supervisor = supervisor
        self._holder = holder
        self._lease_s = lease_s
        self._jobs: list[LedJob] = []
        self._tasks: list[asyncio.Task[None]] = []

    def start(
        self,
        name: str,
        round_: Callable[[], Awaitable[Any]],
        *,
        interval_s: float,
        first_after_s: float = 0.0,
    ) -> None:
        """Run `round_` every `interval_s` on whichever replica leads `name`."""
        job = LedJob(
            self._redis, name, round_, holder=self._holder, lease_s=self._lease_s,
            interval_s=interval_s, first_after_s=first_after_s,
        )  # fmt: skip
        self._jobs.append(job)
        self._tasks.append(
            self._supervisor.start_periodic(name, job.tick, interval_s=job.ask_every_s)
        )

    def leading(self) -> dict[str, bool]:
        """Each job's name: whether this replica leads it now."""
        return {job.name: job.leading for job in self._jobs}

    async def stop(self) -> None:
        """Cancel every job's task (a round cut short is redone by the next leader), then hand
        each lease over at once; a lease not released lapses instead."""
        await cancel_all_and_wait(self._tasks)
        for job in self._jobs:
            try:
                await job.release()
            except Exception as exc:
                log(logger, logging.WARNING, "job_lease_not_released", job=job.name,
                    error=str(exc))  # fmt: skip
