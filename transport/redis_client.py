"""The one way a `cad` process opens Redis: decoded strings, timeouts on every network call."""

from __future__ import annotations

from typing import Any

import redis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection

from cad.settings import Settings
from transport.multiplexed_redis import MultiplexedRedis
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
    pool.connection_class = _HIREDIS_PACKED.get(pool.connection_class, pool.connection_class)
    return MultiplexedRedis.from_pool(pool)


_PACKER = HiredisPacker()


class _HiredisPacking:
    def pack_command(self, *args: Any) -> list[bytes]:
        return _PACKER.pack(*args)


# redis-py is untyped here (pyproject.toml): its classes are Any to mypy.
class _HiredisConnection(_HiredisPacking, Connection):  # type: ignore[misc]
    pass


class _HiredisSSLConnection(_HiredisPacking, SSLConnection):  # type: ignore[misc]
    pass


_HIREDIS_PACKED: dict[type[AbstractConnection], type[AbstractConnection]] = {
    Connection: _HiredisConnection,
    SSLConnection: _HiredisSSLConnection,
}


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
