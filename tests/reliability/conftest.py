"""Fault tests own their servers (they kill them) and run the service as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cad.settings import Settings, get_settings
from service.servers import EmbeddedServer, free_port, mosquitto, redis_server
from transport.broker_security import ANY_PREFIX, development_credentials


@dataclass
class ServiceProcess:
    """`cad serve` as a subprocess that a test may kill -9 and start again."""

    env: dict[str, str]
    log: Path
    # Where its API answers, when a test asks it.
    http: str = ""
    proc: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        """Start the service (the same login each time: it takes its own intake lease back at
        once, and the broker resumes the intake's session)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve"], env=self.env, stdout=out, stderr=out
            )

    def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def terminate(self) -> int:
        """SIGTERM and wait for the exit status."""
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(timeout=30)


@pytest.fixture
def own_servers(tmp_path: Path) -> Iterator[tuple[EmbeddedServer, EmbeddedServer]]:
    """A redis-server (AOF, fsync always) and a mosquitto (logins, each bound to its client id)
    of this test alone."""
    (tmp_path / "redis").mkdir()
    (tmp_path / "broker").mkdir()
    redis = redis_server(tmp_path / "redis")
    broker = mosquitto(
        tmp_path / "broker", credentials=development_credentials("fault-mdt-secret"),
        acl_root=f"{ANY_PREFIX}cad",
    )  # fmt: skip
    redis.start()
    broker.start()
    yield redis, broker
    broker.stop()
    redis.stop()


@pytest.fixture
def fault_settings(own_servers: tuple[EmbeddedServer, EmbeddedServer]) -> Settings:
    """Settings for the test's own servers."""
    redis, broker = own_servers
    return get_settings(
        redis_url=redis.url, mqtt_url=broker.url, topic_root="fault/cad", http_port=free_port(),
    )  # fmt: skip


@pytest.fixture
def service(fault_settings: Settings, tmp_path: Path) -> Iterator[ServiceProcess]:
    """The service process, started; stopped at the end whatever happened."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAD_")}
    env.update(
        CAD_REDIS_URL=fault_settings.redis_url, CAD_MQTT_URL=fault_settings.mqtt_url,
        CAD_TOPIC_ROOT=fault_settings.topic_root, CAD_HTTP_PORT=str(fault_settings.http_port),
        CAD_LOG_LEVEL="INFO",
    )  # fmt: skip
    proc = ServiceProcess(env, tmp_path / "service.log")
    proc.start()
    yield proc
    proc.kill()
