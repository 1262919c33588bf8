"""The service's AVL ingest processes (dispatch/avl_worker.py): started with the service,
restarted with backoff when one dies (the restart policy of cad/task_health.py), stopped (and
drained) with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import sys
import time

from cad.logs import log
from cad.settings import Settings
from cad.supervisor import describe
from cad.task_health import TaskBoard
from cad.waits import wait_until_set

logger = logging.getLogger("cad.avl")


def worker_task(index: int) -> str:
    """The name worker `index` goes by on the task board (readiness, metrics, logs)."""
    return f"avl-worker-{index}"


class AvlWorkers:
    """Keeps `settings.avl_workers` AVL worker processes running until stopped; each worker's
    exits count on `board` as a supervised task's failures do, so one that keeps dying turns
    readiness off."""

    def __init__(self, settings: Settings, board: TaskBoard) -> None:
        self._settings = settings
        self._board = board
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._stopping = asyncio.Event()

    @property
    def running(self) -> int:
        """How many workers run now."""
        return sum(1 for p in self._procs.values() if p.returncode is None)

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        return [p.pid for p in self._procs.values() if p.returncode is None]

    async def run(self) -> None:
        """Start the workers and restart any that exit, until `stop`."""
        # A task group, not gather: were one keeper to fail, the others must not run on beside
        # the keepers a restart of `run` would start.
        async with asyncio.TaskGroup() as group:
            for index in range(self._settings.avl_workers):
                self._board.register(worker_task(index))
                group.create_task(self._keep(index))

    async def _keep(self, index: int) -> None:
        name = worker_task(index)
        while not self._stopping.is_set():
            self._board.started(name, time.monotonic())
            try:
                code: int | str = await self._run_one(index)
            except OSError as exc:  # could not even start it (no memory, no process slot)
                code = describe(exc)
            if self._stopping.is_set():
                return
            backoff = self._board.failed(name, time.monotonic(), f"exited: {code}")
            health = self._board.health_of(name, time.monotonic())
            log(logger, logging.WARNING, "avl_worker_exited", task=name, index=index, code=code,
                retry_s=backoff, failures=health.failures, healthy=health.healthy)  # fmt: skip
            await wait_until_set(self._stopping, backoff)

    async def _run_one(self, index: int) -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dispatch.avl_worker", str(index), str(os.getpid()),
            stdin=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._procs[index] = proc
        if self._stopping.is_set():  # `stop` came while this one was starting
            proc.send_signal(signal.SIGTERM)
        assert proc.stdin is not None
        try:
            proc.stdin.write(pickle.dumps(self._settings))
            with contextlib.suppress(ConnectionError):  # it died before reading: see below
                await proc.stdin.drain()
        finally:
            proc.stdin.close()
        log(logger, logging.INFO, "avl_worker_started", index=index, pid=proc.pid)
        try:
            return await proc.wait()
        except asyncio.CancelledError:
            # Cancelled without `stop` (its keeper's group failed): no worker is left behind.
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            raise

    async def stop(self, running: asyncio.Task[None]) -> None:
        """SIGTERM every worker (each writes its last batch), kill any still up after the grace,
        and wait for `running` (the task of `run`) to return."""
        self._stopping.set()
        for proc in self._procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        # A worker still starting is told to stop by its `_keep`; `run` returns once all are out.
        _, late = await asyncio.wait({running}, timeout=self._settings.shutdown_grace_s)
        if late:
            for proc in self._procs.values():
                if proc.returncode is None:
                    proc.kill()
            await running
