"""Broker security: who may connect to mosquitto, under which client id, and which topics each
login may touch.

mosquitto reads a password file (hashed with `mosquitto_passwd`) and an ACL file, and binds every
connection's client id to its login (`use_username_as_clientid`): whatever id a client sends,
its session is its username's, so no login can take over, or destroy, another's session. One
login is therefore one connection at a time, and every process has its own: each service replica
(`cad-service`, `cad-service-2`...), the call intake session the replicas pass between them
(`cad-intake`), each AVL worker (`{replica}-avl{i}`), each gateway, each load generator's
connection (`{name}-{n}`), and each unit (username = callsign, so five pattern lines (`%u`) cover
the whole fleet: a unit may publish only its own `avl` and `status` and receive only its own
`tasking`, `reply` and `notice`).
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from cad.errors import CadError

SERVICE_USER = "cad-service"
# The call intake's persistent session: held by one replica at a time, under a Redis lease.
INTAKE_USER = "cad-intake"
GATEWAY_USER = "cad-gateway"
# Only reads the broker's own `$SYS` tree: enough for a healthcheck, nothing else.
MONITOR_USER = "cad-monitor"
# Load generators (locust, `cad bench`) and test harnesses: one login per connection, `-{n}`.
GENERATOR_USER = "cad-loadtest"
# A root starting with this matches any one-level prefix: `+/cad` covers every test's own root.
ANY_PREFIX = "+/"


class BrokerSecurityError(CadError):
    """mosquitto_passwd is missing or refused the password file."""


class LoginRole(StrEnum):
    """What a login may do; units are not listed here (their username is their callsign)."""

    SERVICE = "service"
    AVL_WORKER = "avl_worker"
    GATEWAY = "gateway"
    MONITOR = "monitor"
    # Speaks for any gateway and any unit, and listens to everything under the root.
    GENERATOR = "generator"
    # A partner agency (interop/): reads only the EIDOs sent to it, writes only its own answers.
    PARTNER = "partner"


def _grants(role: LoginRole, root: str, agency: str = "") -> tuple[str, ...]:
    """The ACL lines of one role under a topic root (a partner's: of its own agency)."""
    if role is LoginRole.PARTNER:
        return (
            f"topic read {root}/interop/out/{agency}",
            f"topic write {root}/interop/in/{agency}",
        )
    return {
        LoginRole.SERVICE: (f"topic readwrite {root}/#",),
        LoginRole.AVL_WORKER: (f"topic read {root}/units/+/avl", f"topic write {root}/deadletter"),
        LoginRole.GATEWAY: (f"topic write {root}/calls/in",),
        LoginRole.MONITOR: ("topic read $SYS/#",),
        LoginRole.GENERATOR: (f"topic readwrite {root}/#",),
    }[role]


@dataclass(frozen=True)
class BrokerLogin:
    """One login the broker knows (other than a unit's) and its role."""

    username: str
    role: LoginRole
    # A partner's agency id (interop/partners.py): the only topics it may touch are its own.
    agency: str = ""


def avl_worker_login(service_user: str, index: int) -> str:
    """The login of a replica's AVL worker `index`: its own, so that it holds its own id."""
    return f"{service_user}-avl{index}"


def numbered_login(base: str, n: int) -> str:
    """The `n`th login of a family whose connections each need their own (`cad-loadtest-3`)."""
    return f"{base}-{n}"


def service_logins(
    replicas: Iterable[str] = (SERVICE_USER,), *, avl_workers: int = 1
) -> list[BrokerLogin]:
    """The logins of the service: each replica's, its AVL workers', and the intake's."""
    logins = [BrokerLogin(INTAKE_USER, LoginRole.SERVICE)]
    for replica in replicas:
        logins.append(BrokerLogin(replica, LoginRole.SERVICE))
        logins += [
            BrokerLogin(avl_worker_login(replica, i), LoginRole.AVL_WORKER)
            for i in range(avl_workers)
        ]
    return logins


PARTNER_PREFIX = "cad-partner-"


def partner_logins(agencies: Iterable[str]) -> list[BrokerLogin]:
    """One login per partner agency, `cad-partner-{id}`, bound to that agency's two topics."""
    return [BrokerLogin(f"{PARTNER_PREFIX}{a}", LoginRole.PARTNER, a) for a in agencies]


def family(base: str, role: LoginRole, count: int) -> list[BrokerLogin]:
    """`count` numbered logins of one role: `{base}-0` ... `{base}-{count-1}`."""
    return [BrokerLogin(numbered_login(base, n), role) for n in range(count)]


def standard_logins(
    replicas: Iterable[str] = (SERVICE_USER,), *, avl_workers: int = 1, generators: int = 0
) -> list[BrokerLogin]:
    """The service's logins, one gateway, the monitor, and `generators` load-generator logins."""
    return [
        *service_logins(replicas, avl_workers=avl_workers),
        BrokerLogin(GATEWAY_USER, LoginRole.GATEWAY),
        BrokerLogin(MONITOR_USER, LoginRole.MONITOR),
        *family(GENERATOR_USER, LoginRole.GENERATOR, generators),
    ]


@dataclass(frozen=True)
class BrokerCredentials:
    """The password of each role's logins and the secret the units' passwords derive from."""

    service_password: str
    gateway_password: str
    monitor_password: str
    unit_secret: str
    generator_password: str = ""
    partner_password: str = ""

    def unit_password(self, callsign: str) -> str:
        """A unit's MDT password: derived from the fleet secret, so nothing per unit is stored."""
        digest = hmac.new(self.unit_secret.encode(), callsign.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    def password_for(self, role: LoginRole) -> str:
        """The password every login of `role` has (a replica's AVL workers share its own)."""
        return {
            LoginRole.SERVICE: self.service_password,
            LoginRole.AVL_WORKER: self.service_password,
            LoginRole.GATEWAY: self.gateway_password,
            LoginRole.MONITOR: self.monitor_password,
            LoginRole.GENERATOR: self.generator_password or self.service_password,
            LoginRole.PARTNER: self.partner_password or self.gateway_password,
        }[role]

    def users(self, logins: Iterable[BrokerLogin]) -> dict[str, str]:
        """These logins with their passwords."""
        return {login.username: self.password_for(login.role) for login in logins}

    def unit_users(self, callsigns: Iterable[str]) -> dict[str, str]:
        """The units' users (username = callsign), with their passwords."""
        return {c: self.unit_password(c) for c in callsigns}


def development_credentials(unit_secret: str) -> BrokerCredentials:
    """Fixed passwords for the embedded servers of tests and the demo; never for deployment."""
    return BrokerCredentials(
        service_password="development-only-service",
        gateway_password="development-only-gateway",
        monitor_password="development-only-monitor",
        unit_secret=unit_secret,
        generator_password="development-only-loadtest",
    )


def acl_text(root: str, logins: Iterable[BrokerLogin]) -> str:
    """The ACL file for a topic root (`cad`, or `+/cad` for every per-test root under it)."""
    lines = ["# Generated by transport.broker_security; anything not granted here is denied."]
    for login in logins:
        lines += [f"user {login.username}", *_grants(login.role, root, login.agency), ""]
    lines += [
        "# Every other user is a unit whose username is its callsign.",
        f"pattern write {root}/units/%u/avl",
        f"pattern write {root}/units/%u/status",
        f"pattern read {root}/units/%u/tasking",
        f"pattern read {root}/units/%u/reply",
        f"pattern read {root}/units/%u/notice",
        "",
    ]
    return "\n".join(lines)


def security_conf(password_file: Path, acl_file: Path) -> str:
    """The mosquitto.conf lines that switch anonymous access off, point at the two files and
    bind each connection's client id to its login."""
    return (
        f"allow_anonymous false\npassword_file {password_file}\nacl_file {acl_file}\n"
        "use_username_as_clientid true\n"
    )


def write_password_file(path: Path, users: Mapping[str, str]) -> None:
    """Write a new password file with these users, hashed by mosquitto_passwd."""
    path.write_text("".join(f"{user}:{password}\n" for user, password in users.items()))
    path.chmod(0o600)
    _passwd("-U", str(path))


def add_users(path: Path, users: Mapping[str, str]) -> None:
    """Add (or replace) users in an existing password file; the broker reloads it on SIGHUP."""
    staging = path.with_suffix(".new")
    write_password_file(staging, users)
    kept = [
        line
        for line in path.read_text().splitlines()
        if line.split(":", 1)[0] not in users and line.strip()
    ]
    path.write_text("\n".join([*kept, *staging.read_text().splitlines()]) + "\n")
    staging.unlink()


def redact_url(url: str) -> str:
    """The URL with its password masked, fit for a log line (`CAD_MQTT_URL` carries a login)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def url_with_login(url: str, username: str, password: str | None = None) -> str:
    """The URL logging in as `username`, with `password` or the URL's own."""
    parts = urlsplit(url)
    secret = parts.password if password is None else password
    host = parts.hostname or ""
    address = f"{host}:{parts.port}" if parts.port else host
    credentials = quote(username, safe="") + (f":{quote(secret, safe='')}" if secret else "")
    return urlunsplit(parts._replace(netloc=f"{credentials}@{address}"))


def _passwd(*args: str) -> None:
    binary = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    try:
        subprocess.run([binary, *args], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BrokerSecurityError(f"mosquitto_passwd {' '.join(args)} failed: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    """`python -m transport.broker_security acl ROOT [...]` prints the ACL; `... add-units FILE
    CALLSIGN...` adds MDT logins (passwords from CAD_MDT_CREDENTIAL_SECRET) to a password file."""
    import argparse

    from cad.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m transport.broker_security")
    sub = parser.add_subparsers(dest="command", required=True)
    acl = sub.add_parser("acl", help="print the ACL for a topic root")
    acl.add_argument("root")
    acl.add_argument(
        "--replica", action="append", default=[], help=f"a service replica's login "
        f"(repeat; default {SERVICE_USER})",
    )  # fmt: skip
    acl.add_argument("--avl-workers", type=int, default=1, help="AVL workers per replica")
    acl.add_argument("--generators", type=int, default=0, help=f"{GENERATOR_USER}-N logins")
    acl.add_argument(
        "--partner", action="append", default=[],
        help=f"a partner agency's id (repeat): its login {PARTNER_PREFIX}ID",
    )  # fmt: skip
    add = sub.add_parser("add-units", help="add MDT logins to a password file")
    add.add_argument("file", type=Path)
    add.add_argument("callsigns", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "acl":
        logins = standard_logins(
            args.replica or (SERVICE_USER,),
            avl_workers=args.avl_workers,
            generators=args.generators,
        )
        print(acl_text(args.root, [*logins, *partner_logins(args.partner)]), end="")
        return 0
    secret = get_settings().mdt_credential_secret
    add_users(args.file, development_credentials(secret).unit_users(args.callsigns))
    print(f"added {len(args.callsigns)} MDT logins to {args.file}: send the broker a SIGHUP")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
