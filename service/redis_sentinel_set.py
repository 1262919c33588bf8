"""An embedded Redis under Sentinel on loopback ports, for the tests and the bench: a primary
(AOF, every write fsynced, the service's ACL user), one replica of it and three sentinels
watching it with quorum 2, stopped by whoever started them (docs/reliability.md, "Redis
Sentinel")."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from cad.settings import Settings, get_settings
from service.servers import (
    LOOPBACK,
    REDIS_REPLICATION_USER,
    REDIS_SENTINEL_USER,
    EmbeddedServer,
    find_binary,
    free_port,
    redis_acl,
    redis_ha_acl,
)

MASTER = "cadmaster"
SENTINEL_USER = REDIS_SENTINEL_USER
REPLICATION_USER = REDIS_REPLICATION_USER

REDIS_CONF = """\
port {port}
bind {host}
dir {workdir}
aclfile {workdir}/users.acl
appendonly yes
appendfsync always
save ""
protected-mode yes
databases 64
masteruser {replication_user}
masterauth {replication_password}
"""

SENTINEL_CONF = """\
port {port}
bind {host}
dir {workdir}
sentinel monitor {master} {host} {primary_port} 2
sentinel down-after-milliseconds {master} 1000
sentinel failover-timeout {master} 5000
sentinel parallel-syncs {master} 1
sentinel auth-user {master} {sentinel_user}
sentinel auth-pass {master} {sentinel_password}
"""


@dataclass
class SentinelSet:
    """The servers, the sentinels, and the settings that reach them through the sentinels."""

    servers: list[EmbeddedServer]
    sentinels: list[EmbeddedServer]
    settings: Settings

    def primary(self) -> EmbeddedServer:
        """The server the sentinels name as primary now."""
        with redis.Redis(LOOPBACK, self.sentinels[0].port, decode_responses=True) as sentinel:
            _, port = sentinel.sentinel_get_master_addr_by_name(MASTER)
        return next(server for server in self.servers if server.port == int(port))


def _redis(
    workdir: Path, acl: str, passwords: dict[str, str], replica_of: int | None
) -> EmbeddedServer:
    workdir.mkdir()
    port = free_port()
    (workdir / "users.acl").write_text(acl)
    conf = REDIS_CONF.format(
        port=port, host=LOOPBACK, workdir=workdir, replication_user=REPLICATION_USER,
        replication_password=passwords[REPLICATION_USER],
    )  # fmt: skip
    if replica_of is not None:
        conf += f"replicaof {LOOPBACK} {replica_of}\n"
    (workdir / "redis.conf").write_text(conf)
    for private in ("users.acl", "redis.conf"):  # passwords: only ours to read
        (workdir / private).chmod(0o600)
    argv = [find_binary("redis-server"), str(workdir / "redis.conf")]
    return EmbeddedServer(
        "redis", port, workdir, argv, login=("cad-service", passwords["cad-service"])
    )


def sentinel_server(
    workdir: Path, primary_port: int, password: str, user: str = SENTINEL_USER
) -> EmbeddedServer:
    """A sentinel (not started) watching the primary at `primary_port`, logging in to the
    servers as `user`."""
    workdir.mkdir()
    port = free_port()
    conf = workdir / "sentinel.conf"  # rewritten by the sentinel as it learns the set
    conf.write_text(
        SENTINEL_CONF.format(
            port=port,
            host=LOOPBACK,
            workdir=workdir,
            master=MASTER,
            primary_port=primary_port,
            sentinel_user=user,
            sentinel_password=password,
        )
    )
    conf.chmod(0o600)
    return EmbeddedServer(
        "sentinel", port, workdir, [find_binary("redis-server"), str(conf), "--sentinel"]
    )


def _wait_known(sentinels: list[EmbeddedServer], replicas: int, timeout_s: float = 15.0) -> None:
    # A failover needs a quorum that knows the replica and each other (hello messages, ~2 s).
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready = 0
        for sentinel in sentinels:
            with redis.Redis(LOOPBACK, sentinel.port, decode_responses=True) as client:
                state = client.sentinel_master(MASTER)
            if int(state["num-other-sentinels"]) == 2 and int(state["num-slaves"]) == replicas:
                ready += 1
        if ready == len(sentinels):
            return
        time.sleep(0.2)
    raise AssertionError("the sentinels did not learn the replica and each other in time")


@contextlib.contextmanager
def sentinel_set(
    workdir: Path, *, replicas: int = 1, acl_extra: tuple[str, ...] = ()
) -> Iterator[SentinelSet]:
    """A primary, `replicas` replicas of it, and three sentinels watching it with quorum 2,
    started; settings reach it only through the sentinels. Stopped at the end."""
    passwords = {
        user: secrets.token_urlsafe(24) for user in ("cad-service", SENTINEL_USER, REPLICATION_USER)
    }
    acl = redis_acl(passwords["cad-service"], extra=acl_extra) + redis_ha_acl(
        passwords[SENTINEL_USER], passwords[REPLICATION_USER]
    )
    primary = _redis(workdir / "primary", acl, passwords, None)
    servers = [primary]
    sentinels: list[EmbeddedServer] = []
    try:
        primary.start()
        for n in range(replicas):
            servers.append(_redis(workdir / f"replica{n or ''}", acl, passwords, primary.port))
            servers[-1].start()
        sentinels = [
            sentinel_server(workdir / f"sentinel{n}", primary.port, passwords[SENTINEL_USER])
            for n in range(3)
        ]
        for sentinel in sentinels:
            sentinel.start()
        _wait_known(sentinels, replicas)
        settings = get_settings(
            # The login and database; the address comes from the sentinels.
            redis_url=primary.url,
            redis_sentinels=",".join(f"{LOOPBACK}:{s.port}" for s in sentinels),
            redis_sentinel_master=MASTER,
            network_timeout_s=2.0,
            environment="development",
        )
        yield SentinelSet(servers, sentinels, settings)
    finally:
        for server in [*sentinels, *reversed(servers)]:
            server.stop()
