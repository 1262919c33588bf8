"""The one way a `cad` process opens Redis: decoded strings, timeouts on every network call."""

from __future__ import annotations

import ssl
from typing import Any

import redis
from redis.asyncio import BlockingConnectionPool, Redis

from cad.settings import Settings
from transport.multiplexed_redis import MultiplexedRedis
from transport.redis_link import RedisEndpoint, SharedConnection
from transport.redis_packing import HiredisPacker

# Connections one service process holds at most; its message handlers are bounded to the same.
MAX_CONNECTIONS = 64


def open_redis(settings: Settings) -> Redis:
    """An asyncio Redis client for the configured URL."""
    # Blocking: a burst waits for a free connection instead of failing "Too many connections".
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=MAX_CONNECTIONS, timeout=settings.network_timeout_s,
        **_client_options(settings),
    )  # fmt: skip
    shared = SharedConnection(
        _endpoint(pool.connection_kwargs, settings),
        timeout_s=settings.network_timeout_s, encoding="utf-8",
    )  # fmt: skip
    return MultiplexedRedis.over(pool, shared)


def _endpoint(pool_kwargs: dict[str, Any], settings: Settings) -> RedisEndpoint:
    # The address, login and database as redis-py read them from the URL for its own pool, so
    # that both connections always reach the same server as the same user.
    return RedisEndpoint(
        host=pool_kwargs.get("host", "localhost"), port=int(pool_kwargs.get("port", 6379)),
        unix_path=pool_kwargs.get("path"), username=pool_kwargs.get("username"),
        password=pool_kwargs.get("password"), db=int(pool_kwargs.get("db") or 0),
        tls=tls_context(settings) if settings.redis_url.startswith("rediss://") else None,
    )  # fmt: skip


_PACKER = HiredisPacker()


def open_sync_redis(settings: Settings) -> redis.Redis:
    """A blocking Redis client for the same URL, for processes without an event loop (AVL)."""
    return redis.Redis.from_url(
        settings.redis_url, command_packer=_PACKER, **_client_options(settings)
    )


def _client_options(settings: Settings) -> dict[str, Any]:
    # Both clients alike: decoded strings, a timeout on every network call, TLS when asked.
    return {
        "decode_responses": True,
        "socket_timeout": settings.network_timeout_s,
        "socket_connect_timeout": settings.network_timeout_s,
        "health_check_interval": 30,
        **tls_options(settings),
    }


def tls_context(settings: Settings) -> ssl.SSLContext:
    """The TLS our shared connection speaks: what `tls_options` asks of redis-py's connections
    (the server's certificate checked, against the configured CA or the system's; ours shown)."""
    context = ssl.create_default_context(cafile=settings.redis_tls_ca_file)
    if settings.redis_tls_cert_file is not None:
        context.load_cert_chain(settings.redis_tls_cert_file, settings.redis_tls_key_file)
    return context


def tls_options(settings: Settings) -> dict[str, Any]:
    """redis-py's TLS arguments for a `rediss://` URL (none for `redis://`, which rejects them)."""
    if not settings.redis_url.startswith("rediss://"):
        return {}
    options: dict[str, Any] = {"ssl_cert_reqs": "required"}
    if settings.redis_tls_ca_file is not None:
        options["ssl_ca_certs"] = str(settings.redis_tls_ca_file)
    if settings.redis_tls_cert_file is not None:
        options["ssl_certfile"] = str(settings.redis_tls_cert_file)
    if settings.redis_tls_key_file is not None:
        options["ssl_keyfile"] = str(settings.redis_tls_key_file)
    return options
