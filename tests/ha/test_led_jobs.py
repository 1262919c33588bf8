"""Led jobs on a real Redis: one replica at a time runs a job's rounds; when it dies another
takes over within the bound, and when it stops another takes over at its next ask; two
runtimes share the roles out and say which they lead."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from cad.keys import GlobalKeys
from cad.settings import Settings
from cad.supervisor import Supervisor
from cad.task_health import RestartPolicy, TaskBoard
from service.runtime import Runtime
from tests.cad.test_metrics import samples_of
from tests.helpers import eventually, holds
from transport.broker_security import SERVICE_USER, url_with_login
from transport.led_job import LedJob, LedJobs, takeover_bound_s

LEASE_S = 0.9
INTERVAL_S = 0.1


class Rounds:
    """Counts the rounds each replica ran, and when it ran its first."""

    def __init__(self) -> None:
        self.by: dict[str, int] = {}
        self.first: dict[str, float] = {}

    def of(self, replica: str) -> Callable[[], Awaitable[None]]:
        async def round_() -> None:
            self.by[replica] = self.by.get(replica, 0) + 1
            self.first.setdefault(replica, time.monotonic())

        return round_


def _job(redis: Redis, rounds: Rounds, replica: str) -> LedJob:
    return LedJob(
        redis, "test-job", rounds.of(replica), holder=replica, lease_s=LEASE_S,
        interval_s=INTERVAL_S,
    )  # fmt: skip


async def _tick_for(jobs: list[LedJob], seconds: float) -> None:
    """Every job ticks at its own pace, all at once, as on separate replicas."""

    async def ticking(job: LedJob) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await job.tick()
            await asyncio.sleep(job.ask_every_s)

    await asyncio.gather(*(ticking(job) for job in jobs))


async def test_one_replica_leads_and_runs_every_round(redis: Redis) -> None:
    rounds = Rounds()
    jobs = [_job(redis, rounds, f"replica-{n}") for n in range(3)]
    await _tick_for(jobs, 1.5)
    [leader] = rounds.by  # only one replica ran any round
    assert sum(job.leading for job in jobs) == 1
    assert await redis.get(GlobalKeys().job_lease("test-job")) == leader
    # Every interval, not every ask: about 1.5 s / 0.1 s rounds (a loaded machine runs fewer).
    assert 5 <= rounds.by[leader] <= 16


async def test_a_dead_leader_is_replaced_within_the_bound(redis: Redis) -> None:
    rounds = Rounds()
    first, second = _job(redis, rounds, "first"), _job(redis, rounds, "second")
    await _tick_for([first, second], 0.5)
    assert set(rounds.by) == {"first"}
    # The leader stops asking, as if killed -9: its lease must lapse before another leads.
    died = time.monotonic()
    await _tick_for([second], takeover_bound_s(LEASE_S) + 0.5)
    taken_over_s = rounds.first["second"] - died
    print(f"\nled job taken over {taken_over_s:.2f} s after its leader died (lease {LEASE_S} s)")
    assert LEASE_S - first.ask_every_s - 0.05 <= taken_over_s <= takeover_bound_s(LEASE_S) + 0.3


async def test_a_leader_that_stops_hands_over_at_once(redis: Redis) -> None:
    rounds = Rounds()
    first, second = _job(redis, rounds, "first"), _job(redis, rounds, "second")
    await _tick_for([first, second], 0.4)
    await first.release()
    assert not first.leading
    released = time.monotonic()
    await second.tick()
    assert second.leading
    assert rounds.first["second"] - released < LEASE_S / 3


async def test_a_failing_round_fails_the_tick_and_the_lease_is_kept(redis: Redis) -> None:
    async def failing() -> None:
        raise RuntimeError("round failed")

    job = LedJob(redis, "test-job", failing, holder="only", lease_s=LEASE_S, interval_s=INTERVAL_S)
    with pytest.raises(RuntimeError, match="round failed"):
        await job.tick()
    assert job.leading


async def test_a_stopped_leader_whose_round_dropped_its_cancellation_still_hands_over(
    redis: Redis,
) -> None:
    """A round may drop a cancellation (Python 3.11's `asyncio.wait_for`, which redis-py's
    connection writes use, returns a result that lands with it): the stopped replica's job ran
    on, renewing its lease for ever, and no other replica could lead it. Stopping cancels it
    again until it ends, then hands the lease over."""
    dropped = asyncio.Event()

    async def drops_a_cancellation() -> None:
        if dropped.is_set():
            return
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            dropped.set()  # as wait_for does when its awaitable finished in the same turn

    jobs = LedJobs(redis, Supervisor(TaskBoard(RestartPolicy())), holder="first", lease_s=LEASE_S)
    jobs.start("test-job", drops_a_cancellation, interval_s=INTERVAL_S)
    await eventually(lambda: holds(jobs.leading()["test-job"]), within_s=5)
    async with asyncio.timeout(takeover_bound_s(LEASE_S)):
        await jobs.stop()
    assert dropped.is_set()
    assert await redis.get(GlobalKeys().job_lease("test-job")) is None
    rounds = Rounds()
    second = _job(redis, rounds, "second")
    await second.tick()
    assert second.leading


async def test_two_replicas_share_out_the_roles_and_show_them(
    settings: Settings, redis: Redis
) -> None:
    """Two runtimes on one Redis: each role (the intake, each led job) led by exactly one, as
    their readiness (/readyz's `leading`) and `cad_leading` say; the leader that stops hands
    every role over."""
    logins = (SERVICE_USER, f"{SERVICE_USER}-2")
    quick, url = {"job_lease_s": 1.5, "intake_lease_s": 1.5}, settings.mqtt_url
    runtimes = [
        Runtime(settings.model_copy(update={**quick, "mqtt_url": url_with_login(url, login)}))
        for login in logins
    ]
    for runtime in runtimes:
        await runtime.start()
    try:

        async def each_role_led_once(among: list[Runtime]) -> bool:
            views = [runtime.leading() for runtime in among]
            return all(sum(view[role] for view in views) == 1 for role in views[0])

        await eventually(lambda: each_role_led_once(runtimes), within_s=10)
        roles = set(runtimes[0].leading())
        assert roles == {
            "intake", "ack-watch", "tasking-resend", "queue-sweep", "alarm-scan", "geo-compaction"
        }  # fmt: skip
        for runtime in runtimes:
            gauges = samples_of(runtime.metrics.render().decode())
            assert {role: gauges[("cad_leading", (("role", role),))] for role in roles} == {
                role: float(led) for role, led in runtime.leading().items()
            }
            state = await runtime.readiness()
            assert state.leading == runtime.leading()
            assert state.ready  # whether it leads nothing or everything
        leader = max(runtimes, key=lambda r: sum(r.leading().values()))
        other = runtimes[1 - runtimes.index(leader)]
        await leader.stop()
        stopped = time.monotonic()
        runtimes.remove(leader)
        try:
            await eventually(lambda: holds(all(other.leading().values())), within_s=5)
        except AssertionError as failed:
            raise AssertionError(f"the other replica leads {other.leading()}") from failed
        # Handed over, not left to lapse: within the followers' next ask (a third of the lease).
        assert time.monotonic() - stopped < 1.5
    finally:
        for runtime in runtimes:
            await runtime.stop()
