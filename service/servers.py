"""Embedded redis-server and mosquitto on free loopback ports, for the demo, the bench and tests.

Each server lives in its own temporary directory and is stopped by whoever started it; nothing
here ever touches a server it did not start.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cad.errors import CadError
from transport.broker_security import (
    SERVICE_USER,
    BrokerCredentials,
    BrokerLogin,
    acl_text,
    add_users,
    security_conf,
    standard_logins,
    write_password_file,
)

LOOPBACK = "127.0.0.1"
REDIS_SERVICE_USER = "cad-service"
# What the service runs: data, streams, scripts, pub/sub; not KEYS, FLUSH*, CONFIG, INFO, ACL...
REDIS_SERVICE_COMMANDS = ("+@all", "-@dangerous")


@dataclass(frozen=True)
class TlsFiles:
    """A server's certificate, its key and the CA that signed it (PEM files)."""

    ca: Path
    cert: Path
    key: Path


class ServerStartError(CadError):
    """A server binary is missing or did not start listening in time."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str:
    """The path of an installed server binary (`make servers` installs them)."""
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
    tls: bool = False
    # A broker's logins, to which more can be added while it runs.
    accounts: BrokerAccounts | None = field(default=None, repr=False)

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
        scheme = ("redis" if self.name == "redis" else "mqtt") + ("s" if self.tls else "")
        login = f"{self.login[0]}:{self.login[1]}@" if self.login else ""
        db = "/0" if self.name == "redis" else ""
        return f"{scheme}://{login}{LOOPBACK}:{self.port}{db}"


def redis_acl(password: str, *, extra: tuple[str, ...] = ()) -> str:
    """The ACL file: `default` off, the service user with its password and its commands."""
    rules = " ".join([*REDIS_SERVICE_COMMANDS, *extra])
    # `default` is off, so nobody can log in as it, but keeps every permission: Redis 7.0 loads
    # the AOF as `default` and checks each MULTI/EXEC against its ACL, so a `default` without
    # permissions silently drops every transaction (every Lua script's effects) on restart.
    return f"user default off ~* &* +@all\nuser {REDIS_SERVICE_USER} on >{password} ~* &* {rules}\n"


# Under Redis Sentinel (docs/reliability.md): what a sentinel runs on the servers it watches
# (Redis's documented minimum) and a replica on its primary, each as its own ACL user.
REDIS_SENTINEL_USER = "cad-sentinel"
REDIS_REPLICATION_USER = "cad-replica"
REDIS_SENTINEL_COMMANDS = (
    "allchannels", "+multi", "+slaveof", "+ping", "+exec", "+subscribe", "+config|rewrite",
    "+role", "+publish", "+info", "+client|setname", "+client|kill", "+script|kill",
)  # fmt: skip
REDIS_REPLICATION_COMMANDS = ("+psync", "+replconf", "+ping")


def redis_ha_acl(sentinel_password: str, replication_password: str) -> str:
    """The ACL lines a primary and its replicas add for the sentinels and for replication."""
    sentinel = " ".join(REDIS_SENTINEL_COMMANDS)
    replication = " ".join(REDIS_REPLICATION_COMMANDS)
    return (
        f"user {REDIS_SENTINEL_USER} on >{sentinel_password} {sentinel}\n"
        f"user {REDIS_REPLICATION_USER} on >{replication_password} {replication}\n"
    )


def redis_server(
    workdir: Path,
    *,
    # Every write on disk before Redis answers it: a call acknowledged to the broker survives a
    # crash of Redis or of its machine (docs/reliability.md has what each setting can lose).
    appendfsync: str = "always",
    tls: TlsFiles | None = None,
    acl_extra: tuple[str, ...] = (),
) -> EmbeddedServer:
    """A redis-server with AOF on, listening only on loopback, that admits only the service
    user (a fresh random password, carried by `url`); with `tls`, it speaks only TLS."""
    port = free_port()
    password = secrets.token_urlsafe(24)
    # In a file, not on the command line: every local user can read a process's arguments.
    acl = workdir / "users.acl"
    acl.write_text(redis_acl(password, extra=acl_extra))
    acl.chmod(0o600)
    argv = [
        find_binary("redis-server"),
        "--bind", LOOPBACK, "--dir", str(workdir), "--aclfile", str(acl),
        "--appendonly", "yes", "--appendfsync", appendfsync, "--save", "",
        "--protected-mode", "yes", "--databases", "64",
    ]  # fmt: skip
    if tls is None:
        argv += ["--port", str(port)]
    else:
        argv += [
            "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tls.cert),
            "--tls-key-file", str(tls.key), "--tls-ca-cert-file", str(tls.ca),
            "--tls-auth-clients", "optional",
        ]  # fmt: skip
    login = (REDIS_SERVICE_USER, password)
    return EmbeddedServer("redis", port, workdir, argv, login=login, tls=tls is not None)


MOSQUITTO_CONF = """\
listener {port} {host}
# Started as root, mosquitto would switch to user `mosquitto`, who cannot read our private files.
user {user}
persistence true
persistence_location {workdir}/
autosave_interval 1
# A dispatch service and its MDTs need deeper queues than mosquitto's defaults (1000 and 20).
max_queued_messages 100000
# A 3.1.1 session (the call intake's) never expires by itself: the broker keeps one a week after
# its last holder left, so calls wait through any outage of the service short of that.
persistent_client_expiration 7d
max_inflight_messages 200
max_packet_size 1048576
# Taskings are small and urgent: without this, Nagle and delayed ACKs add ~40 ms a message.
set_tcp_nodelay true
log_dest file {workdir}/mosquitto.log
"""


# What an embedded broker knows: three replicas with four AVL workers each (the tests run two
# replicas side by side), one gateway, the monitor, and logins for 64 load-generator connections.
EMBEDDED_REPLICAS = (SERVICE_USER, f"{SERVICE_USER}-2", f"{SERVICE_USER}-3")
EMBEDDED_LOGINS = tuple(standard_logins(EMBEDDED_REPLICAS, avl_workers=4, generators=64))


@dataclass
class BrokerAccounts:
    """A running broker's password file and ACL, kept in step as logins are added."""

    credentials: BrokerCredentials
    acl_root: str
    passwd: Path
    acl: Path
    logins: list[BrokerLogin]

    def write(self, units: tuple[str, ...]) -> None:
        """Write both files afresh with the logins and these units."""
        users = self.credentials.users(self.logins) | self.credentials.unit_users(units)
        write_password_file(self.passwd, users)
        self.acl.write_text(acl_text(self.acl_root, self.logins))

    def add(self, logins: list[BrokerLogin]) -> None:
        """Add logins to both files (the broker takes them on SIGHUP: `EmbeddedServer.reload`)."""
        new = [login for login in logins if login not in self.logins]
        if new:
            add_users(self.passwd, self.credentials.users(new))
            self.logins += new
            self.acl.write_text(acl_text(self.acl_root, self.logins))


def mosquitto(
    workdir: Path,
    *,
    credentials: BrokerCredentials | None = None,
    acl_root: str = "cad",
    units: tuple[str, ...] = (),
    logins: tuple[BrokerLogin, ...] = EMBEDDED_LOGINS,
    tls: TlsFiles | None = None,
) -> EmbeddedServer:
    """A mosquitto broker with persistence, listening only on loopback; with `credentials`, it
    demands a login, binds each client id to its login and applies the ACL for `acl_root` to
    `logins` and `units` (`url` then carries the first replica's login), else it lets anyone in;
    with `tls`, its listener speaks only TLS."""
    port = free_port()
    conf = workdir / "mosquitto.conf"
    text = MOSQUITTO_CONF.format(port=port, host=LOOPBACK, workdir=workdir, user=getpass.getuser())
    if tls is not None:
        text += f"cafile {tls.ca}\ncertfile {tls.cert}\nkeyfile {tls.key}\n"
    login, accounts = None, None
    if credentials is None:
        text += "allow_anonymous true\n"
    else:
        accounts = BrokerAccounts(
            credentials, acl_root, workdir / "passwd", workdir / "acl", list(logins)
        )
        accounts.write(units)
        text += security_conf(accounts.passwd, accounts.acl)
        login = (SERVICE_USER, credentials.service_password)
    conf.write_text(text)
    argv = [find_binary("mosquitto"), "-c", str(conf)]
    return EmbeddedServer(
        "mosquitto", port, workdir, argv, login=login, tls=tls is not None, accounts=accounts
    )


@contextlib.contextmanager
def embedded_servers(
    base: Path | None = None,
    *,
    credentials: BrokerCredentials | None = None,
    units: tuple[str, ...] = (),
    acl_root: str = "cad",
) -> Iterator[tuple[EmbeddedServer, EmbeddedServer]]:
    """Start a redis-server and a mosquitto in a temporary directory; stop both on exit.
    With `credentials`, the broker demands logins (EMBEDDED_LOGINS and these units) and applies
    the ACL for topics under `acl_root`."""
    with tempfile.TemporaryDirectory(prefix="cad-servers-", dir=base) as tmp:
        root = Path(tmp)
        (root / "redis").mkdir()
        (root / "mosquitto").mkdir()
        redis = redis_server(root / "redis")
        broker = mosquitto(
            root / "mosquitto", credentials=credentials, units=units, acl_root=acl_root
        )
        try:
            redis.start()
            broker.start()
            yield redis, broker
        finally:
            broker.stop()
            redis.stop()
