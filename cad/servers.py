"""Embedded redis-server and mosquitto on free loopback ports, for the demo, the bench and tests.

Each server lives in its own temporary directory and is stopped by whoever started it; nothing
here ever touches a server it did not start.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cad.broker_security import (
    SERVICE_USER,
    BrokerCredentials,
    acl_text,
    security_conf,
    write_password_file,
)

LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A server binary is missing or did not start listening in time."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _find_binary(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}") if os.access(p, os.X_OK)), None
    )
    if found is None:
        raise ServerStartError(f"{name} is not installed: run `make servers` or apt-get install it")
    return found


def _wait_listening(port: int, proc: subprocess.Popen[bytes], name: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerStartError(f"{name} exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.2):
            return
        time.sleep(0.02)
    raise ServerStartError(f"{name} did not listen on {LOOPBACK}:{port} within {timeout_s}s")


@dataclass
class EmbeddedServer:
    """One server process: its command line, port and working directory; restartable."""

    name: str
    port: int
    workdir: Path
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    # The service's user and password, put into `url` when the server demands a login.
    login: tuple[str, str] | None = field(default=None, repr=False)

    def start(self, timeout_s: float = 10.0) -> None:
        """Start the process and wait until it accepts connections."""
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        _wait_listening(self.port, self.proc, self.name, timeout_s)

    def kill(self) -> None:
        """Kill -9, as a crash would: no chance to flush or say goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Terminate gracefully, then kill if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def reload(self) -> None:
        """SIGHUP: mosquitto re-reads its password and ACL files without dropping clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def restart(self) -> None:
        """Start again on the same port and directory (after `kill` or `stop`)."""
        self.stop()
        self.start()

    @property
    def url(self) -> str:
        scheme = "redis" if self.name == "redis" else "mqtt"
        login = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        return f"{scheme}://{login}{LOOPBACK}:{self.port}" + ("/0" if scheme == "redis" else "")


def redis_server(workdir: Path, *, appendfsync: str = "everysec") -> EmbeddedServer:
    """A redis-server with AOF on, listening only on loopback."""
    port = free_port()
    argv = [
        _find_binary("redis-server"),
        "--port", str(port), "--bind", LOOPBACK, "--dir", str(workdir),
        "--appendonly", "yes", "--appendfsync", appendfsync, "--save", "",
        "--protected-mode", "yes", "--databases", "64",
    ]  # fmt: skip
    return EmbeddedServer("redis", port, workdir, argv)


MOSQUITTO_CONF = """\
listener {port} {host}
# Started as root, mosquitto would switch to user `mosquitto`, who cannot read our private files.
user {user}
persistence true
persistence_location {workdir}/
autosave_interval 1
# A dispatch service and its MDTs need deeper queues than mosquitto's defaults (1000 and 20).
max_queued_messages 100000
max_inflight_messages 200
max_packet_size 1048576
# Taskings are small and urgent: without this, Nagle and delayed ACKs add ~40 ms a message.
set_tcp_nodelay true
log_dest file {workdir}/mosquitto.log
"""


def mosquitto(
    workdir: Path,
    *,
    credentials: BrokerCredentials | None = None,
    acl_root: str = "cad",
    units: tuple[str, ...] = (),
) -> EmbeddedServer:
    """A mosquitto broker with persistence, listening only on loopback; with `credentials`, it
    demands a login and applies the ACL for `acl_root` (`url` then carries the service's login),
    else it lets anyone in."""
    port = free_port()
    conf = workdir / "mosquitto.conf"
    text = MOSQUITTO_CONF.format(port=port, host=LOOPBACK, workdir=workdir, user=getpass.getuser())
    login = None
    if credentials is None:
        text += "allow_anonymous true\n"
    else:
        passwd, acl = workdir / "passwd", workdir / "acl"
        write_password_file(passwd, credentials.service_users() | credentials.unit_users(units))
        acl.write_text(acl_text(acl_root))
        text += security_conf(passwd, acl)
        login = (SERVICE_USER, credentials.service_password)
    conf.write_text(text)
    argv = [_find_binary("mosquitto"), "-c", str(conf)]
    return EmbeddedServer("mosquitto", port, workdir, argv, login=login)


@contextlib.contextmanager
def embedded_servers(
    base: Path | None = None,
    *,
    credentials: BrokerCredentials | None = None,
    units: tuple[str, ...] = (),
) -> Iterator[tuple[EmbeddedServer, EmbeddedServer]]:
    """Start a redis-server and a mosquitto in a temporary directory; stop both on exit.
    With `credentials`, the broker demands logins for the service and these units."""
    with tempfile.TemporaryDirectory(prefix="cad-servers-", dir=base) as tmp:
        root = Path(tmp)
        (root / "redis").mkdir()
        (root / "mosquitto").mkdir()
        redis = redis_server(root / "redis")
        broker = mosquitto(root / "mosquitto", credentials=credentials, units=units)
        try:
            redis.start()
            broker.start()
            yield redis, broker
        finally:
            broker.stop()
            redis.stop()
