"""An embedded Redis Cluster on loopback ports, for the tests and the bench: primaries and their
replicas (AOF, every write fsynced), made a cluster by `redis-cli --cluster create`, stopped by
whoever started it (docs/reliability.md, "Redis Cluster")."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from service.servers import (
    LOOPBACK,
    REDIS_REPLICATION_COMMANDS,
    REDIS_REPLICATION_USER,
    REDIS_SERVICE_USER,
    EmbeddedServer,
    ServerStartError,
    find_binary,
    free_port,
    redis_acl,
)

# Who creates the cluster and watches it (CLUSTER INFO, ROLE): never the service's login.
REDIS_ADMIN_USER = "cad-admin"

NODE_CONF = """\
port {port}
bind {host}
dir {workdir}
aclfile {workdir}/users.acl
appendonly yes
appendfsync always
save ""
protected-mode yes
cluster-enabled yes
cluster-config-file nodes.conf
# The bus port of its own: port + 10000, Redis's default, may be taken or beyond 65535.
cluster-port {bus_port}
cluster-node-timeout {node_timeout_ms}
# A primary down stops only its own slots' areas, not the whole force's, until its replica is
# promoted.
cluster-require-full-coverage no
masteruser {replication_user}
masterauth {replication_password}
"""


@dataclass
class EmbeddedCluster:
    """The nodes of one cluster (primaries first, as created), and the logins that reach it."""

    nodes: list[EmbeddedServer]
    primaries: int
    service_password: str = field(repr=False)
    admin_password: str = field(repr=False)

    @property
    def url(self) -> str:
        """The service's login and TLS (none here); the addresses come from `addresses`."""
        return f"redis://{REDIS_SERVICE_USER}:{self.service_password}@{LOOPBACK}:{self.nodes[0].port}/0"

    @property
    def addresses(self) -> str:
        """`host:port,...` of every node: CAD_REDIS_CLUSTER_NODES."""
        return ",".join(f"{LOOPBACK}:{node.port}" for node in self.nodes)

    def admin(self, node: EmbeddedServer) -> redis.Redis:
        """A plain client of one node as the cluster's administrator."""
        return redis.Redis(
            LOOPBACK, node.port, username=REDIS_ADMIN_USER, password=self.admin_password,
            decode_responses=True, socket_timeout=5.0,
        )  # fmt: skip

    def start(self, timeout_s: float = 30.0) -> None:
        """Start every node, make them one cluster (one replica a primary) and wait until every
        node says it is whole."""
        for node in self.nodes:
            node.start()
        replicas = len(self.nodes) // self.primaries - 1
        env = {**os.environ, "REDISCLI_AUTH": self.admin_password}  # not on the command line
        subprocess.run(
            [find_binary("redis-cli"), "--user", REDIS_ADMIN_USER, "--cluster", "create",
             *(f"{LOOPBACK}:{node.port}" for node in self.nodes),
             "--cluster-replicas", str(replicas), "--cluster-yes"],
            env=env, check=True, capture_output=True, timeout=timeout_s,
        )  # fmt: skip
        self.wait_whole(timeout_s)

    def wait_whole(self, timeout_s: float = 30.0) -> None:
        """Until every running node answers `cluster_state:ok` with its primaries' replicas
        attached."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(self._whole(node) for node in self.running()):
                return
            time.sleep(0.1)
        raise ServerStartError(f"the cluster was not whole within {timeout_s}s")

    def _whole(self, node: EmbeddedServer) -> bool:
        try:
            with self.admin(node) as client:
                role = client.execute_command("ROLE")
        except redis.RedisError:
            return False
        # A primary with its replica streaming, or a replica connected to its primary.
        if role[0] == "master":
            return self._state_ok(node) and len(role[2]) >= 1
        return self._state_ok(node) and role[3] == "connected"

    def state_ok(self) -> bool:
        """Whether every running node says `cluster_state:ok` (each slot has a primary)."""
        return all(self._state_ok(node) for node in self.running())

    def _state_ok(self, node: EmbeddedServer) -> bool:
        try:
            with self.admin(node) as client:
                return "cluster_state:ok" in client.execute_command("CLUSTER", "INFO")
        except redis.RedisError:
            return False

    def running(self) -> list[EmbeddedServer]:
        """The nodes whose process is alive."""
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def primary_of(self, key: str) -> EmbeddedServer:
        """The node serving `key`'s slot now, as the cluster says."""
        alive = self.running()[0]
        with self.admin(alive) as client:
            slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
            for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):
                if int(start) <= slot <= int(end):
                    port = int(primary[1])
                    return next(n for n in self.nodes if n.port == port)
        raise LookupError(f"no node serves the slot of {key!r}")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


def redis_cluster(
    workdir: Path,
    *,
    primaries: int = 3,
    replicas: int = 1,
    node_timeout_ms: int = 1500,
    acl_extra: tuple[str, ...] = (),
) -> EmbeddedCluster:
    """A cluster of `primaries` with `replicas` each, not started: every node admits the
    service's ACL user (with `acl_extra`), replication's and the administrator's, each with a
    fresh random password; a primary is thought down after `node_timeout_ms`."""
    service_password, replication_password, admin_password = (
        secrets.token_urlsafe(24) for _ in range(3)
    )
    acl = (
        redis_acl(service_password, extra=acl_extra)
        + f"user {REDIS_REPLICATION_USER} on >{replication_password} "
        + " ".join(REDIS_REPLICATION_COMMANDS)
        + f"\nuser {REDIS_ADMIN_USER} on >{admin_password} ~* &* +@all\n"
    )
    nodes = []
    for n in range(primaries * (1 + replicas)):
        node_dir = workdir / f"node{n}"
        node_dir.mkdir(parents=True)
        port = free_port()
        (node_dir / "users.acl").write_text(acl)
        conf = NODE_CONF.format(
            port=port, bus_port=free_port(), host=LOOPBACK, workdir=node_dir,
            node_timeout_ms=node_timeout_ms,
            replication_user=REDIS_REPLICATION_USER, replication_password=replication_password,
        )  # fmt: skip
        (node_dir / "redis.conf").write_text(conf)
        for private in ("users.acl", "redis.conf"):  # passwords: only ours to read
            (node_dir / private).chmod(0o600)
        argv = [find_binary("redis-server"), str(node_dir / "redis.conf")]
        nodes.append(EmbeddedServer("redis", port, node_dir, argv))
    return EmbeddedCluster(nodes, primaries, service_password, admin_password)
