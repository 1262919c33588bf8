"""The one way a `cad` process opens Redis: decoded strings, timeouts on every network call."""

from __future__ import annotations

import ssl
from typing import Any

import redis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.connection import parse_url

from cad.settings import Settings
from transport.multiplexed_redis import MultiplexedRedis
from transport.redis_cluster import async_cluster, sync_cluster, uses_cluster
from transport.redis_link import RedisEndpoint, SharedConnection
from transport.redis_packing import HiredisPacker
from transport.redis_sentinel import async_sentinel, primary_resolver, sync_sentinel, uses_sentinel
from transport.redis_types import AsyncRedis, SyncRedis

# Connections one service process holds at most; its message handlers are bounded to the same.
MAX_CONNECTIONS = 64


class BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):  # type: ignore[misc]
    """redis-py's Sentinel pool (each new connection to the primary the sentinels name now, one
    to a demoted primary dropped) that waits for a free connection as BlockingConnectionPool."""

    async def disconnect(self, inuse_connections: bool = True) -> None:
        """Its connections, and those to the sentinels (opened again when next asked): closing
        the client closes them all."""
        await super().disconnect(inuse_connections)
        for sentinel in self.sentinel_manager.sentinels:
            await sentinel.connection_pool.disconnect()


def open_redis(settings: Settings) -> AsyncRedis:
    """An asyncio Redis client for the configured URL, the primary the sentinels name, or the
    cluster the configured nodes belong to."""
    if uses_cluster(settings):
        # redis-py's own: its pipelines split by node, which our shared connection cannot
        # (docs/performance.md has what that costs).
        return async_cluster(settings, _cluster_options(settings))
    # Blocking: a burst waits for a free connection instead of failing "Too many connections".
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=MAX_CONNECTIONS, timeout=settings.network_timeout_s,
        **_client_options(settings),
    )  # fmt: skip
    endpoint = _endpoint(pool.connection_kwargs, settings)
    if not uses_sentinel(settings):
        shared = SharedConnection(endpoint, timeout_s=settings.network_timeout_s, encoding="utf-8")
        return MultiplexedRedis.over(pool, shared)
    # The URL's login, database and TLS; the sentinels give the address.
    sentinel = async_sentinel(settings, _without_address(pool.connection_kwargs))
    master = settings.redis_sentinel_master
    sentinel_pool = BlockingSentinelPool(
        master, sentinel, max_connections=MAX_CONNECTIONS, timeout=settings.network_timeout_s,
        **sentinel.connection_kwargs,
    )  # fmt: skip
    shared = SharedConnection(
        endpoint, timeout_s=settings.network_timeout_s, encoding="utf-8",
        resolve=primary_resolver(sentinel, master, endpoint),
    )  # fmt: skip
    return MultiplexedRedis.over(sentinel_pool, shared, also_close=sentinel.sentinels)


def _without_address(pool_kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pool_kwargs.items() if k not in ("host", "port", "path")}


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


def open_sync_redis(settings: Settings) -> SyncRedis:
    """A blocking Redis client for the same URL (or primary under Sentinel, or cluster), for
    processes without an event loop (AVL)."""
    if uses_cluster(settings):
        return sync_cluster(settings, _cluster_options(settings))
    if not uses_sentinel(settings):
        return redis.Redis.from_url(
            settings.redis_url, command_packer=_PACKER, **_client_options(settings)
        )
    url_kwargs = redis.ConnectionPool.from_url(
        settings.redis_url, command_packer=_PACKER, **_client_options(settings)
    ).connection_kwargs
    sentinel = sync_sentinel(settings, _without_address(url_kwargs))
    return sentinel.master_for(settings.redis_sentinel_master, redis_class=redis.Redis)


def _cluster_options(settings: Settings) -> dict[str, Any]:
    # The URL's login and TLS on every node's connections; its address is only one node's.
    login = parse_url(settings.redis_url)
    tls = tls_options(settings)
    return {
        "username": login.get("username"), "password": login.get("password"),
        **_client_options(settings), **({"ssl": True} if tls else {}),
    }  # fmt: skip


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
