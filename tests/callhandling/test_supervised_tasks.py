"""Supervision in the running service: a failing task is logged, restarted and healthy again;
one that keeps failing (a task, or an AVL worker process that keeps dying) turns /readyz to 503
naming it, and /metrics shows its restarts."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal

import pytest

from cad.settings import Settings
from cad.waits import cancel_and_wait
from service.runtime import Runtime
from tests.cad.test_metrics import samples_of
from tests.helpers import asgi_client, eventually, holds, running_app


@pytest.fixture
def quick_restarts(settings: Settings) -> Settings:
    """The test's settings with restarts a hundred times quicker than in service."""
    return settings.model_copy(
        update={"task_first_backoff_s": 0.01, "task_max_backoff_s": 0.05, "avl_workers": 1}
    )


async def test_a_task_that_fails_twice_is_restarted_and_healthy_again(
    quick_restarts: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    rounds = 0

    async def flaky_round() -> None:
        nonlocal rounds
        rounds += 1
        if rounds <= 2:
            raise LookupError(f"round {rounds} fails")

    async with running_app(quick_restarts) as app, asgi_client(app) as http:
        runtime: Runtime = app.state.runtime
        task = runtime.supervisor.start_periodic("flaky", flaky_round, interval_s=0.02)
        try:
            await eventually(lambda: holds(rounds >= 4))
            ready = await http.get("/readyz")
            metrics = samples_of((await http.get("/metrics")).text)
        finally:
            await cancel_and_wait(task)
    failed = [r for r in caplog.records if r.getMessage() == "task_failed"]
    assert [r.__dict__["fields"]["task"] for r in failed] == ["flaky", "flaky"]
    assert all(r.exc_info is not None for r in failed)  # a programming error: its traceback
    assert ready.status_code == 200
    assert ready.json()["tasks"]["flaky"] == {"healthy": True, "failures": 0, "restarts": 2}
    assert metrics[("cad_task_restarts_total", (("task", "flaky"),))] == 2
    assert metrics[("cad_task_healthy", (("task", "flaky"),))] == 1
    assert metrics[("cad_task_healthy", (("task", "ack-watch"),))] == 1


async def test_a_task_that_keeps_failing_turns_readiness_off_and_shows_in_metrics(
    quick_restarts: Settings,
) -> None:
    async def broken() -> None:
        raise ValueError("never works")

    async with running_app(quick_restarts) as app, asgi_client(app) as http:
        runtime: Runtime = app.state.runtime
        task = runtime.supervisor.start("broken", broken)
        try:
            await eventually(lambda: _unhealthy(runtime, "broken"))
            ready = await http.get("/readyz")
            metrics = samples_of((await http.get("/metrics")).text)
        finally:
            await cancel_and_wait(task)
        # Once it is gone for good, nothing keeps failing.
        after = await http.get("/readyz")
    assert ready.status_code == 503
    answer = ready.json()
    assert answer["status"] == "not_ready"
    assert answer["unhealthy_tasks"] == ["broken"]
    assert answer["checks"] == {"redis": True, "mqtt": True}
    assert answer["tasks"]["broken"]["healthy"] is False
    assert answer["tasks"]["broken"]["failures"] >= 3
    assert metrics[("cad_task_restarts_total", (("task", "broken"),))] >= 3
    assert metrics[("cad_task_healthy", (("task", "broken"),))] == 0
    assert after.json()["unhealthy_tasks"] == ["broken"]  # it stays named until it works


async def test_an_avl_worker_that_keeps_dying_turns_readiness_off(
    quick_restarts: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_app(quick_restarts) as app, asgi_client(app) as http:
        runtime: Runtime = app.state.runtime
        for _ in range(3):
            await eventually(lambda: holds(runtime.avl_workers.running == 1), within_s=10)
            (pid,) = runtime.avl_workers.pids
            os.kill(pid, signal.SIGKILL)
            await eventually(functools.partial(_gone, runtime, pid), within_s=10)
        await eventually(lambda: _unhealthy(runtime, "avl-worker-0"), within_s=10)
        ready = await http.get("/readyz")
        metrics = samples_of((await http.get("/metrics")).text)
        # The service keeps restarting it all the same.
        await eventually(lambda: holds(runtime.avl_workers.running == 1), within_s=10)
    assert ready.status_code == 503
    assert ready.json()["unhealthy_tasks"] == ["avl-worker-0"]
    assert metrics[("cad_task_restarts_total", (("task", "avl-worker-0"),))] == 3
    exits = [r for r in caplog.records if r.getMessage() == "avl_worker_exited"]
    assert [r.__dict__["fields"]["code"] for r in exits] == [-signal.SIGKILL] * 3
    assert all(r.levelno == logging.WARNING for r in exits)


async def _gone(runtime: Runtime, pid: int) -> bool:
    return pid not in runtime.avl_workers.pids


async def _unhealthy(runtime: Runtime, task: str) -> bool:
    return task in (await runtime.readiness()).unhealthy_tasks


async def test_shutdown_stops_a_task_waiting_out_its_backoff(settings: Settings) -> None:
    slow = settings.model_copy(update={"task_first_backoff_s": 60.0, "task_max_backoff_s": 60.0})
    failed = asyncio.Event()

    async def fails_once() -> None:
        failed.set()
        raise ValueError("then a minute's backoff")

    async with running_app(slow) as app:
        runtime: Runtime = app.state.runtime
        task = runtime.supervisor.start("slow-to-retry", fails_once)
        await failed.wait()
        await asyncio.sleep(0.01)
        async with asyncio.timeout(1.0):
            await cancel_and_wait(task)
    assert task.cancelled()
