"""The embedded Redis admits only the service's ACL user: no password, no entry."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError

from cad.settings import Settings
from service.servers import LOOPBACK, REDIS_SERVICE_USER, EmbeddedServer, redis_server
from tests.helpers import running_runtime
from transport.broker_security import redact_url


async def test_a_client_without_credentials_is_refused(redis_proc: EmbeddedServer) -> None:
    anonymous = Redis(host=LOOPBACK, port=redis_proc.port, decode_responses=True)
    try:
        with pytest.raises((AuthenticationError, ResponseError), match=r"(?i)auth"):
            await anonymous.set("cad:intruder", "1")
    finally:
        await anonymous.aclose()


async def test_the_default_user_and_a_wrong_password_are_refused(
    redis_proc: EmbeddedServer,
) -> None:
    for username, password in (("default", ""), (REDIS_SERVICE_USER, "wrong-password")):
        client = Redis(
            host=LOOPBACK, port=redis_proc.port, username=username, password=password,
            decode_responses=True,
        )  # fmt: skip
        try:
            with pytest.raises(AuthenticationError):
                await client.ping()
        finally:
            await client.aclose()


async def test_the_service_user_works_but_may_not_administer_the_server(redis: Redis) -> None:
    assert await redis.ping()
    await redis.set("cad:acl-check", "1")
    assert await redis.get("cad:acl-check") == "1"
    for command in (
        ("CONFIG", "GET", "dir"),
        ("FLUSHALL",),
        ("ACL", "LIST"),
        ("SHUTDOWN",),
    ):
        with pytest.raises(NoPermissionError):
            await redis.execute_command(*command)


async def test_the_service_url_carries_the_login_and_logs_never_show_the_password(
    settings: Settings, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.redis_url.startswith(f"redis://{REDIS_SERVICE_USER}:")
    password = settings.redis_url.split(":")[2].split("@")[0]
    assert redact_url(settings.redis_url) == settings.redis_url.replace(password, "***")
    caplog.set_level(logging.DEBUG)
    async with running_runtime(settings):
        pass
    assert "runtime_started" in caplog.text or any(
        r.getMessage() == "runtime_started" for r in caplog.records
    )
    for record in caplog.records:
        assert password not in record.getMessage()
        assert password not in str(getattr(record, "fields", ""))


async def test_transactions_and_scripts_survive_a_kill_9_and_a_restart_from_the_aof(
    tmp_path: Path,
) -> None:
    server = redis_server(tmp_path)
    server.start()
    try:
        client = Redis.from_url(server.url, decode_responses=True)
        async with client.pipeline(transaction=True) as pipe:
            pipe.hset("cad:{CW}:unit:status", "CW01", "assigned")
            pipe.incr("cad:refseq:01DEC26")
            await pipe.execute()
        moved = client.register_script("redis.call('SET', KEYS[1], ARGV[1]) return 1")
        await moved(keys=["cad:{CW}:scripted"], args=["yes"])
        await client.aclose()
        server.kill()
        server.start()
        client = Redis.from_url(server.url, decode_responses=True)
        assert await client.hget("cad:{CW}:unit:status", "CW01") == "assigned"
        assert await client.get("cad:refseq:01DEC26") == "1"
        assert await client.get("cad:{CW}:scripted") == "yes"
        await client.aclose()
        assert "NOPERM" not in (tmp_path / "redis.log").read_text()
    finally:
        server.stop()
