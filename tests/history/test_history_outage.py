"""PostgreSQL down: the history routes answer 503 naming it, dispatch goes on, the archiver
keeps retrying and /readyz names it once it keeps failing; back up, all of it recovers."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from cad.settings import Settings
from service.postgres_server import PostgresServer, embedded_postgres
from tests.helpers import asgi_client, auth_headers, eventually, running_app
from tests.history.making import open_incident, refer


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own, to be killed."""
    with embedded_postgres() as server:
        yield server


async def _status(client: httpx.AsyncClient, path: str) -> int:
    return (await client.get(path)).status_code


async def test_postgres_down_is_a_503_on_history_and_dispatch_goes_on(
    settings: Settings, redis: Redis, own_postgres: PostgresServer
) -> None:
    tuned = settings.model_copy(
        update={
            "database_url": own_postgres.url, "archive_interval_s": 0.1,
            "archive_keep_audit_s": 0.0, "archive_incident_grace_s": 0.0,
            "network_timeout_s": 1.0, "task_first_backoff_s": 0.1, "task_max_backoff_s": 0.2,
        }
    )  # fmt: skip
    async with (
        running_app(tuned) as app,
        asgi_client(app, auth_headers(tuned)) as client,
    ):
        ref = await open_incident(client, "o1", kind="lost_property")
        await refer(client, ref)
        await eventually(
            lambda: _archived(client, ref), within_s=10
        )  # the app's own archiver moved it

        own_postgres.kill()
        down = await client.get("/v1/audit")
        assert down.status_code == 503
        assert down.json()["dependency"] == "postgresql"
        assert "127.0.0.1" not in down.json()["detail"]
        assert await _status(client, f"/v1/incidents/{ref}") == 503
        # Dispatch does not wait for the history store.
        later = await open_incident(client, "o2", kind="lost_property", east_m=4_000)
        assert await _status(client, f"/v1/incidents/{later}") == 200

        async def archiver_named() -> bool:
            ready = await client.get("/readyz")
            return (
                ready.status_code == 503 and "history-archiver" in ready.json()["unhealthy_tasks"]
            )

        await eventually(archiver_named, within_s=30)

        own_postgres.start()
        await eventually(lambda: _ok(client, "/v1/audit"), within_s=30)
        await eventually(lambda: _ok(client, "/readyz"), within_s=30)
        assert await _status(client, f"/v1/incidents/{ref}") == 200


async def _archived(client: httpx.AsyncClient, ref: str) -> bool:
    found = await client.get("/v1/incidents", params={"status": "referred"})
    return found.status_code == 200 and ref in [i["ref"] for i in found.json()["incidents"]]


async def _ok(client: httpx.AsyncClient, path: str) -> bool:
    return await _status(client, path) == 200
