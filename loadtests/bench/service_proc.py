"""The service under test: `cad serve` in its own process, with its own topic root and HTTP port."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from loadtests.bench.context import BENCH_AUTH_ENV, bench_root
from loadtests.bench.procs import Child, http_ready
from service.servers import LOOPBACK, free_port


@dataclass(frozen=True)
class ServiceUnderTest:
    """Where the running service listens, and its process (whose CPU scenario 9 reads)."""

    root: str
    port: int
    pid: int


@contextlib.asynccontextmanager
async def service_process(
    redis_url: str, mqtt_url: str, workdir: Path, *, extra_env: dict[str, str] | None = None
) -> AsyncIterator[ServiceUnderTest]:
    """`cad serve` in its own process with its own topic root and HTTP port (`extra_env`: more
    settings, such as the history store's URL)."""
    unique = uuid.uuid4().hex[:8]
    root, port = bench_root(f"bench-{unique}"), free_port()
    env = {
        "CAD_REDIS_URL": redis_url, "CAD_MQTT_URL": mqtt_url, "CAD_TOPIC_ROOT": root,
        "CAD_HTTP_HOST": LOOPBACK, "CAD_HTTP_PORT": str(port),
        # Random synthetic calls must each open an incident: duplicate search and scoring still
        # run for every call, only the automatic link is never taken.
        "CAD_AUTO_LINK_SCORE": "1.0",
        # Met units attend every bench call, beyond London too: every call ends in a tasking, so
        # a call without one by the end of its run was late, not held for another force.
        "CAD_ATTEND_OUTSIDE_GRADES": "I,S",
        **BENCH_AUTH_ENV,
        **(extra_env or {}),
    }  # fmt: skip
    log = workdir / "service.log"
    service = await Child.start("service.cli", argv=("serve",), env=env, log=log)
    try:
        await http_ready(LOOPBACK, port, "/readyz", 60)
        yield ServiceUnderTest(root, port, service.proc.pid)
    finally:
        await service.stop()


@contextlib.asynccontextmanager
async def running_service(
    redis_url: str, mqtt_url: str, workdir: Path, *, extra_env: dict[str, str] | None = None
) -> AsyncIterator[tuple[str, int]]:
    """The service as most scenarios need it: its topic root and HTTP port."""
    async with service_process(redis_url, mqtt_url, workdir, extra_env=extra_env) as service:
        yield service.root, service.port
