"""docker-compose.yml cannot be started here (no Docker engine): check its structure instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cad.settings import Settings


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    return document


def test_three_services_each_with_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"redis", "mosquitto", "cad"}
    for name, service in services.items():
        check = service["healthcheck"]
        assert check["test"][0] == "CMD", name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_the_service_waits_for_healthy_servers(compose: dict[str, Any]) -> None:
    depends = compose["services"]["cad"]["depends_on"]
    assert depends == {
        "redis": {"condition": "service_healthy"},
        "mosquitto": {"condition": "service_healthy"},
    }


def test_the_service_runs_cad_serve_with_settings_the_code_reads(compose: dict[str, Any]) -> None:
    cad = compose["services"]["cad"]
    assert cad["command"] == ["cad", "serve"]
    fields = {f"CAD_{name.upper()}" for name in Settings.model_fields}
    assert set(cad["environment"]) <= fields
    assert cad["environment"]["CAD_REDIS_URL"].startswith("redis://redis:")
    assert cad["environment"]["CAD_MQTT_URL"].startswith("mqtt://mosquitto:")
    port = cad["environment"]["CAD_HTTP_PORT"]
    assert f"127.0.0.1:{port}:{port}" in cad["ports"]


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


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    for service in compose["services"].values():
        for mapping in service.get("ports", []):
            assert mapping.startswith("127.0.0.1:"), mapping


def test_the_image_builds_every_package(repo_root: Path) -> None:
    dockerfile = (repo_root / "Dockerfile").read_text()
    for package in ("cad", "dispatch", "callhandling", "geo", "loadtests"):
        assert f"COPY {package} {package}" in dockerfile
