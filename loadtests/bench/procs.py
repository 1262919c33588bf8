"""Child processes of the bench: generators, baselines and the service, each on its own core time.

Every child takes its configuration as one JSON line on stdin and answers in JSON lines on
stdout, so a generator never shares a GIL (or a CPU sample) with what it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

_STOP_WAIT_S = 10.0


class ChildError(RuntimeError):
    """A child process failed or did not answer in time."""


class Child:
    """One running child process: a module run with `python -m`, configured through stdin."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc

    @classmethod
    async def start(
        cls, module: str, config: dict[str, Any] | None = None, *, log: Path | None = None,
        argv: tuple[str, ...] = (), env: dict[str, str] | None = None,
    ) -> Child:  # fmt: skip
        """Start `python -m module *argv` and hand it its configuration."""
        stderr = log.open("ab") if log else asyncio.subprocess.DEVNULL
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", module, *argv,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr,
                env={**os.environ, **(env or {})},
            )  # fmt: skip
        finally:
            if log and not isinstance(stderr, int):
                stderr.close()
        assert proc.stdin is not None
        proc.stdin.write((json.dumps(config or {}) + "\n").encode())
        await proc.stdin.drain()
        proc.stdin.close()
        return cls(module, proc)

    async def line(self, timeout_s: float) -> str:
        """The next line the child prints."""
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(timeout_s):
                raw = await self.proc.stdout.readline()
        except TimeoutError as exc:
            raise ChildError(f"{self.name} said nothing within {timeout_s}s") from exc
        if not raw:
            raise ChildError(f"{self.name} exited (code {await self.proc.wait()})")
        return raw.decode().strip()

    async def result(self, timeout_s: float) -> dict[str, Any]:
        """The JSON the child prints last, once it has exited."""
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(timeout_s):
                out = await self.proc.stdout.read()
            async with asyncio.timeout(_STOP_WAIT_S):
                code = await self.proc.wait()
        except TimeoutError as exc:
            await self.stop()
            raise ChildError(f"{self.name} did not finish within {timeout_s}s") from exc
        lines = out.decode().strip().splitlines()
        if code != 0 or not lines:
            raise ChildError(f"{self.name} exited with code {code}")
        parsed: dict[str, Any] = json.loads(lines[-1])
        return parsed

    async def finish(self, timeout_s: float) -> dict[str, Any]:
        """Ask a background generator to stop (SIGTERM) and return its JSON result."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await self.result(timeout_s)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.proc.returncode is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(_STOP_WAIT_S):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def run_child(module: str, config: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """Run a generator to its end and return its JSON result."""
    child = await Child.start(module, config)
    return await child.result(timeout_s)


async def http_ready(host: str, port: int, path: str, timeout_s: float) -> None:
    """Wait until GET `path` answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            status = await reader.readline()
            writer.close()
            if b" 200 " in status:
                return
        await asyncio.sleep(0.1)
    raise ChildError(f"{host}:{port}{path} not ready within {timeout_s}s")
