"""Session servers (our own redis-server, mosquitto and PostgreSQL on free loopback ports),
per-test clients."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from cad.logs import JsonFormatter
from cad.settings import Settings, get_settings
from dispatch.scripts import DispatchScripts, register_scripts
from service.postgres_server import PostgresServer, embedded_postgres
from service.redis_cluster import EmbeddedCluster, redis_cluster
from service.servers import EmbeddedServer, mosquitto, redis_server
from tests.helpers import running_app
from transport.broker_security import ANY_PREFIX, development_credentials
from transport.redis_client import open_redis


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked `topologies("single", "cluster")` runs once on each Redis topology: its
    `settings` (and so its clients and app) reach that one."""
    marker = metafunc.definition.get_closest_marker("topologies")
    if marker is not None and "redis_topology" in metafunc.fixturenames:
        metafunc.parametrize("redis_topology", marker.args, indirect=True)


def pytest_sessionstart(session: pytest.Session) -> None:
    """A failing test's captured log lines are the service's JSON lines, with their fields (the
    step, the callsign): the default format shows the event name alone."""
    logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    if logging_plugin is not None:
        logging_plugin.report_handler.setFormatter(JsonFormatter())


@pytest.fixture(scope="session")
def redis_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A redis-server with AOF for the whole test session; it admits only the service's ACL
    user, here also allowed FLUSHDB and KEYS for the tests' own housekeeping."""
    server = redis_server(tmp_path_factory.mktemp("redis"), acl_extra=("+flushdb", "+keys"))
    server.start()
    yield server
    server.stop()


# Every test's topic root is `test-{unique}/cad`: the ACL is written for any such prefix.
TEST_ACL_ROOT = f"{ANY_PREFIX}cad"
TEST_MDT_SECRET = "test-mdt-secret"
# Signs the tests' bearer tokens (tests/helpers.py `auth_headers`); development only.
TEST_AUTH_SECRET = "test-only-auth-secret-of-at-least-32-characters"


@pytest.fixture(scope="session")
def broker_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    """A mosquitto broker for the whole test session, with a password file and the ACL; its
    `url` logs in as the service."""
    server = mosquitto(
        tmp_path_factory.mktemp("mosquitto"),
        credentials=development_credentials(TEST_MDT_SECRET),
        acl_root=TEST_ACL_ROOT,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def cluster_proc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A Redis Cluster (three primaries, a replica each) for the session's tests marked to run
    on it too; started by the first of them. Its ACL is the session redis-server's."""
    cluster = redis_cluster(tmp_path_factory.mktemp("cluster"), acl_extra=("+flushdb", "+keys"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_topology(request: pytest.FixtureRequest, redis_proc: EmbeddedServer) -> dict[str, str]:
    """The Redis settings of the topology the test runs on: the session redis-server, unless
    the test is marked to run on the cluster too (`topologies`) and this is that run."""
    if getattr(request, "param", "single") == "cluster":
        cluster: EmbeddedCluster = request.getfixturevalue("cluster_proc")
        return {"redis_url": cluster.url, "redis_cluster_nodes": cluster.addresses}
    return {"redis_url": redis_proc.url}


@pytest.fixture
def settings(redis_topology: dict[str, str], broker_proc: EmbeddedServer) -> Settings:
    """Settings for the session servers, with this test's own topic root; the service logs in
    as `cad-service` (the broker binds its client id to that login), one test at a time."""
    unique = uuid.uuid4().hex[:10]
    return get_settings(
        **redis_topology,
        mqtt_url=broker_proc.url,
        topic_root=f"test-{unique}/cad",
        network_timeout_s=3.0,
        mdt_credential_secret=TEST_MDT_SECRET,
        environment="development",
        auth_dev_secret=TEST_AUTH_SECRET,
        # The tests drive the API much harder than a person; tests/security sets its own limits.
        rate_limit_per_s=100_000.0,
        rate_limit_burst=100_000,
    )


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    """The service's kind of client (transport.redis_client), on a flushed database."""
    client = open_redis(settings)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def scripts(redis: Redis) -> DispatchScripts:
    """The dispatch scripts registered with this test's client."""
    return register_scripts(redis)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture
async def app(settings: Settings, redis: Redis) -> AsyncIterator[FastAPI]:
    """The whole app against the session servers, its lifespan running, its MQTT link up."""
    async with running_app(settings) as application:
        yield application


@pytest.fixture(scope="session")
def postgres_proc() -> Iterator[PostgresServer]:
    """A PostgreSQL for the whole test session (initdb in a temporary folder, a free loopback
    port); without the binaries it fails saying to run scripts/ensure-servers.sh."""
    with embedded_postgres() as server:
        yield server


@pytest.fixture
def database_url(postgres_proc: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of the session's PostgreSQL for one test."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_proc.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}".encode())
    yield postgres_proc.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_proc.url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)".encode())
