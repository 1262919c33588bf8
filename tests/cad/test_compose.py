"""docker-compose.yml cannot be started here (no Docker engine): check its structure instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from cad.settings import (
    Settings,
    broker_addresses,
    cluster_addresses,
    get_settings,
    sentinel_addresses,
)
from service.redis_cluster import REDIS_ADMIN_USER
from service.servers import (
    REDIS_REPLICATION_USER,
    REDIS_SENTINEL_USER,
    REDIS_SERVICE_USER,
    redis_acl,
    redis_ha_acl,
)
from transport.broker_security import MONITOR_USER, SERVICE_USER, acl_text, standard_logins
from transport.mqtt import BrokerAddress


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    return document


CLUSTER_NODES = [f"redis-cluster-{n}" for n in range(1, 7)]
HA_SERVICES = {
    "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3", *CLUSTER_NODES, "redis-cluster-init",
    "mosquitto-2",
}  # fmt: skip


def test_four_services_each_with_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    always = {name for name, service in services.items() if "profiles" not in service}
    assert always == {"redis", "mosquitto", "postgres", "cad"}
    assert {name for name in services if name not in always} == HA_SERVICES
    assert all(services[name]["profiles"] == ["ha"] for name in HA_SERVICES)
    for name, service in services.items():
        check = service["healthcheck"]
        assert check["test"][0] == "CMD", name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_the_service_waits_for_healthy_servers(compose: dict[str, Any]) -> None:
    depends = compose["services"]["cad"]["depends_on"]
    assert depends == {
        "redis": {"condition": "service_healthy"},
        "mosquitto": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
    }


def test_the_service_runs_cad_serve_with_settings_the_code_reads(compose: dict[str, Any]) -> None:
    cad = compose["services"]["cad"]
    assert cad["command"] == ["cad", "serve"]
    fields = {f"CAD_{name.upper()}" for name in Settings.model_fields}
    assert set(cad["environment"]) <= fields
    redis_url = urlsplit(cad["environment"]["CAD_REDIS_URL"])
    assert (redis_url.hostname, redis_url.username) == ("redis", REDIS_SERVICE_USER)
    broker = BrokerAddress.from_url(cad["environment"]["CAD_MQTT_URL"])
    assert (broker.host, broker.username) == ("mosquitto", SERVICE_USER)
    database = urlsplit(cad["environment"]["CAD_DATABASE_URL"])
    postgres = compose["services"]["postgres"]["environment"]
    assert (database.hostname, database.username, database.password, database.path) == (
        "postgres", postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )  # fmt: skip
    port = cad["environment"]["CAD_HTTP_PORT"]
    assert f"127.0.0.1:{port}:{port}" in cad["ports"]


def test_redis_admits_only_the_service_user_of_the_acl_in_the_repo(
    compose: dict[str, Any], repo_root: Path
) -> None:
    redis, cad = compose["services"]["redis"], compose["services"]["cad"]
    password = urlsplit(cad["environment"]["CAD_REDIS_URL"]).password
    assert password is not None
    acl_path = redis["command"][redis["command"].index("--aclfile") + 1]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in redis["volumes"] if v.startswith("./")}
    sentinel_password = _sentinel_conf(repo_root)["auth-pass"]
    replication_password = _option(redis["command"], "--masterauth")
    assert (repo_root / mounted[acl_path]).read_text() == redis_acl(password) + redis_ha_acl(
        sentinel_password, replication_password
    )
    check = redis["healthcheck"]["test"]
    assert check[check.index("--user") + 1] == REDIS_SERVICE_USER
    assert check[check.index("--pass") + 1] == password


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def _sentinel_conf(repo_root: Path) -> dict[str, str]:
    # `sentinel <directive> cadmaster <value...>` lines, by directive.
    lines = (repo_root / "deploy/redis/sentinel.conf").read_text().splitlines()
    words = [line.split() for line in lines if line.startswith("sentinel ")]
    return {w[1]: " ".join(w[3:]) for w in words if len(w) > 3 and w[2] == "cadmaster"}


def test_the_ha_profile_replicates_redis_under_three_sentinels(
    compose: dict[str, Any], repo_root: Path
) -> None:
    services = compose["services"]
    redis, replica = services["redis"]["command"], services["redis-replica"]["command"]
    assert _option(replica, "--replicaof") == "redis"
    for command in (redis, replica):  # either may be the replica after a failover
        assert _option(command, "--masteruser") == REDIS_REPLICATION_USER
        assert _option(command, "--appendfsync") == "always"
    assert _option(replica, "--aclfile") == _option(redis, "--aclfile")
    conf = _sentinel_conf(repo_root)
    assert conf["monitor"] == "redis 6379 2"
    assert conf["auth-user"] == REDIS_SENTINEL_USER
    cad = services["cad"]["environment"]
    assert cad["CAD_REDIS_SENTINEL_MASTER"] == "cadmaster"
    # What the compose file's header tells to export names the three sentinels.
    header = (repo_root / "docker-compose.yml").read_text()
    listed = re.search(r"CAD_REDIS_SENTINELS=(\S+)", header)
    assert listed is not None
    sentinels = sentinel_addresses(listed.group(1))
    assert {host for host, _ in sentinels} == {"sentinel-1", "sentinel-2", "sentinel-3"}
    for name in ("sentinel-1", "sentinel-2", "sentinel-3"):
        assert "sentinel.conf --sentinel" in " ".join(services[name]["command"])


def test_the_ha_profile_holds_a_cluster_of_three_primaries_with_a_replica_each(
    compose: dict[str, Any], repo_root: Path
) -> None:
    services = compose["services"]
    for name in CLUSTER_NODES:
        command = services[name]["command"]
        assert _option(command, "--cluster-enabled") == "yes"
        assert _option(command, "--appendfsync") == "always"
        assert _option(command, "--masteruser") == REDIS_REPLICATION_USER
        assert f"{name}-data:/data" in services[name]["volumes"]
    init = " ".join(services["redis-cluster-init"]["command"])
    assert "--cluster create" in init
    assert "--cluster-replicas 1" in init
    assert set(services["redis-cluster-init"]["depends_on"]) == set(CLUSTER_NODES)
    # What the compose file's header tells to export names nodes of the cluster.
    header = (repo_root / "docker-compose.yml").read_text()
    listed = re.search(r"CAD_REDIS_CLUSTER_NODES=(\S+)", header)
    assert listed is not None
    assert {host for host, _ in cluster_addresses(listed.group(1))} <= set(CLUSTER_NODES)
    acl = (repo_root / "deploy/redis/cluster-users.acl").read_text()
    assert acl.startswith(redis_acl("development-only-redis"))
    assert f"user {REDIS_REPLICATION_USER} on >development-only-replica" in acl
    assert f"user {REDIS_ADMIN_USER} on " in acl


def test_the_service_settings_are_valid_as_compose_fills_them_in(compose: dict[str, Any]) -> None:
    # `${NAME:-default}` is compose's own substitution: with nothing exported, the default.
    filled = {
        key.removeprefix("CAD_").lower(): re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))
        for key, value in compose["services"]["cad"]["environment"].items()
    }
    settings = get_settings(**filled)
    assert settings.environment == "development"
    assert settings.auth_dev_secret


def test_redis_keeps_an_append_only_file_on_a_volume(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert "redis-data" in compose["volumes"]


def test_mosquitto_uses_the_config_in_the_repo(compose: dict[str, Any], repo_root: Path) -> None:
    volumes = compose["services"]["mosquitto"]["volumes"]
    mounted = [v.split(":")[0] for v in volumes if v.startswith("./")]
    assert mounted, "the broker config must come from the repository"
    for path in mounted:
        assert (repo_root / path).is_file(), path
    assert "mosquitto-data" in compose["volumes"]


def test_mosquitto_demands_logins_and_applies_the_generated_acl(
    compose: dict[str, Any], repo_root: Path
) -> None:
    deploy = repo_root / "deploy" / "mosquitto"
    conf = (deploy / "mosquitto.conf").read_text().splitlines()
    assert "allow_anonymous false" in conf
    mounts = dict(v.split(":")[:2] for v in compose["services"]["mosquitto"]["volumes"])
    for directive in ("password_file", "acl_file"):
        (target,) = [line.split()[1] for line in conf if line.startswith(directive + " ")]
        source = next(src for src, dst in mounts.items() if dst == target)
        assert (repo_root / source).is_file(), directive
    assert (deploy / "acl").read_text() == acl_text("cad", standard_logins())
    assert "use_username_as_clientid true" in conf
    users = {line.split(":")[0] for line in (deploy / "passwd").read_text().splitlines()}
    assert {login.username for login in standard_logins()} <= users
    healthcheck = compose["services"]["mosquitto"]["healthcheck"]["test"]
    assert healthcheck[healthcheck.index("-u") + 1] == MONITOR_USER


def test_the_ha_profile_adds_a_second_broker_like_the_first(
    compose: dict[str, Any], repo_root: Path
) -> None:
    services = compose["services"]
    first, second = services["mosquitto"], services["mosquitto-2"]
    config = [v for v in first["volumes"] if v.startswith("./")]
    assert [v for v in second["volumes"] if v.startswith("./")] == config
    assert "mosquitto-2-data:/mosquitto/data" in second["volumes"]
    assert second["healthcheck"]["test"] == first["healthcheck"]["test"]
    # What the compose file's header tells to export names both brokers, an AVL worker each.
    header = (repo_root / "docker-compose.yml").read_text()
    listed = re.search(r"CAD_MQTT_BROKERS=(\S+) CAD_AVL_WORKERS=(\d+)", header)
    assert listed is not None
    brokers = broker_addresses(listed.group(1))
    assert brokers == [("mosquitto", 1883), ("mosquitto-2", 1883)]
    get_settings(mqtt_brokers=listed.group(1), avl_workers=int(listed.group(2)))


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for mapping in service.get("ports", []):
            assert mapping.startswith("127.0.0.1:"), mapping


def test_the_image_builds_every_package(repo_root: Path) -> None:
    dockerfile = (repo_root / "Dockerfile").read_text()
    packages = ("cad", "transport", "history", "dispatch", "callhandling", "service", "geo")
    for package in (*packages, "loadtests"):
        assert f"COPY {package} {package}" in dockerfile
