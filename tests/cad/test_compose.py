"""docker-compose.yml cannot be started here (no Docker engine): check its structure instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from cad.settings import Settings, get_settings
from service.servers import REDIS_SERVICE_USER, redis_acl
from transport.broker_security import MONITOR_USER, SERVICE_USER, acl_text, standard_logins
from transport.mqtt import BrokerAddress


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    return document


def test_four_services_each_with_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"redis", "mosquitto", "postgres", "cad"}
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
    assert (repo_root / mounted[acl_path]).read_text() == redis_acl(password)
    check = redis["healthcheck"]["test"]
    assert check[check.index("--user") + 1] == REDIS_SERVICE_USER
    assert check[check.index("--pass") + 1] == password


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


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for mapping in service.get("ports", []):
            assert mapping.startswith("127.0.0.1:"), mapping


def test_the_image_builds_every_package(repo_root: Path) -> None:
    dockerfile = (repo_root / "Dockerfile").read_text()
    packages = ("cad", "transport", "history", "dispatch", "callhandling", "service", "geo")
    for package in (*packages, "loadtests"):
        assert f"COPY {package} {package}" in dockerfile
