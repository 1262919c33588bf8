"""An embedded PostgreSQL on a free loopback port, for the demo and the tests, as
service/servers.py has redis-server and mosquitto.

`initdb` makes a fresh cluster in a temporary directory (its unix socket there too), with one
login, `cad`, and a generated password (scram-sha-256, also on the socket). PostgreSQL refuses
to run as root: started as root, it runs as the `postgres` user Debian's package creates, in a
directory of its own under the system's temporary folder (a test's folder may be closed to it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from service.servers import LOOPBACK, EmbeddedServer, ServerStartError, free_port

POSTGRES_USER = "cad"
POSTGRES_DB = "postgres"
# Who runs the server when we are root (Debian's package makes this user).
_SYSTEM_USER = "postgres"
_MISSING = (
    "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/postgres): "
    "run scripts/ensure-servers.sh (as root it installs Debian's `postgresql` package)"
)


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's binaries; ServerStartError naming the fix if none."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("postgres")
    if found is None or shutil.which("initdb") is None:
        raise ServerStartError(_MISSING)
    return Path(found).resolve().parent


@dataclass
class PostgresServer(EmbeddedServer):
    """A postgres process over a cluster `initdb` made in `workdir/data`."""

    bin_dir: Path = field(default_factory=Path)
    run_as: str | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Start postgres and wait until it accepts logins (not merely the port)."""
        log = (self.workdir / "postgresql.log").open("ab")
        self.proc = subprocess.Popen(
            self.argv, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, user=self.run_as, group=self.run_as,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + timeout_s
        isready = [str(self.bin_dir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port)]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(
                    f"postgres exited with code {self.proc.returncode} before accepting logins "
                    f"(see {self.workdir / 'postgresql.log'})"
                )
            if subprocess.run(isready, check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise ServerStartError(f"postgres did not accept logins on {self.port} in {timeout_s}s")

    def stop(self) -> None:
        """SIGTERM is a smart shutdown that waits for clients: SIGINT (fast) ends them."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    @property
    def url(self) -> str:
        user, password = self.login or (POSTGRES_USER, "")
        return f"postgresql://{user}:{password}@{LOOPBACK}:{self.port}/{POSTGRES_DB}"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        raise ServerStartError(
            f"running as root, PostgreSQL needs the `{_SYSTEM_USER}` user: "
            "run scripts/ensure-servers.sh (Debian's postgresql package makes it)"
        ) from None
    return _SYSTEM_USER


def postgres_server(workdir: Path) -> PostgresServer:
    """A fresh cluster in `workdir` (owned by whoever runs the server), listening only on
    loopback and its socket in `workdir`, admitting `cad` with a fresh random password."""
    bin_dir = postgres_bin_dir()
    run_as = _run_as()
    password = secrets.token_urlsafe(24)
    pwfile = workdir / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        for path in (workdir, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    workdir.chmod(0o700)
    pwfile.chmod(0o600)
    data = workdir / "data"
    initdb = [
        str(bin_dir / "initdb"), "-D", str(data), "-U", POSTGRES_USER, "--pwfile", str(pwfile),
        "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C", "--no-sync",
    ]  # fmt: skip
    done = subprocess.run(
        initdb, cwd=workdir, capture_output=True, user=run_as, group=run_as, check=False
    )
    pwfile.unlink()
    if done.returncode != 0:
        raise ServerStartError(f"initdb failed: {done.stderr.decode(errors='replace')[-500:]}")
    port = free_port()
    argv = [
        str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
        "-c", f"listen_addresses={LOOPBACK}", "-c", f"unix_socket_directories={workdir}",
        "-c", "max_connections=100", "-c", "shared_buffers=32MB",
    ]  # fmt: skip
    return PostgresServer(
        "postgresql", port, workdir, argv, login=(POSTGRES_USER, password),
        bin_dir=bin_dir, run_as=run_as,
    )  # fmt: skip


@contextlib.contextmanager
def embedded_postgres() -> Iterator[PostgresServer]:
    """Start a PostgreSQL in a temporary directory of its own; stop it and remove it on exit."""
    with tempfile.TemporaryDirectory(prefix="cad-postgresql-") as tmp:
        server = postgres_server(Path(tmp))
        try:
            server.start()
            yield server
        finally:
            server.stop()
