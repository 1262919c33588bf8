"""The service's AVL ingest processes (dispatch/avl_worker.py): started with the service,
restarted with backoff when one dies, stopped (and drained) with it."""

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
from cad.waits import wait_until_set

logger = logging.getLogger("cad.avl")

# A worker that ran this long before it died was healthy: its restart backoff starts again.
_HEALTHY_S = 30.0


class AvlWorkers:
    """Keeps `settings.avl_workers` AVL worker processes running until stopped."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
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
        await asyncio.gather(*(self._keep(i) for i in range(self._settings.avl_workers)))

    async def _keep(self, index: int) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
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
            started = time.monotonic()
            code = await proc.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started > _HEALTHY_S:  # a worker that ran a while: start afresh
                backoff = 0.5
            log(logger, logging.WARNING, "avl_worker_exited", index=index, code=code,
                retry_s=backoff)  # fmt: skip
            await wait_until_set(self._stopping, backoff)
            backoff = min(backoff * 2, self._settings.reconnect_max_backoff_s)

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
