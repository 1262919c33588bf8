"""Redis behind Sentinel: the sentinels say which server is the primary now.

redis-py's public Sentinel support serves its pools (asyncio and blocking): each new connection
asks the sentinels, and one to a server that was demoted is dropped. Our shared connection
(transport/redis_link.py) gets the same from `primary_resolver`, awaited before it connects.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import redis.sentinel
from redis.asyncio.sentinel import Sentinel, SentinelManagedSSLConnection

from cad.settings import Settings, sentinel_addresses
from transport.redis_link import EndpointResolver, RedisEndpoint


def uses_sentinel(settings: Settings) -> bool:
    """Whether the sentinels, not `redis_url`, say where Redis is."""
    return bool(sentinel_addresses(settings.redis_sentinels))


def _sentinel_options(settings: Settings) -> dict[str, Any]:
    # The sentinels themselves: a timeout on every question; they need no login on our
    # deployments (docs/reliability.md, "Redis Sentinel", says how to run them).
    return {
        "socket_timeout": settings.network_timeout_s,
        "socket_connect_timeout": settings.network_timeout_s,
    }


def async_sentinel(settings: Settings, connection_kwargs: dict[str, Any]) -> Sentinel:
    """The asyncio sentinel manager; `connection_kwargs` are the primary's (login, db, TLS)."""
    kwargs = dict(connection_kwargs)
    if settings.redis_url.startswith("rediss://"):
        kwargs["connection_class"] = SentinelManagedSSLConnection
    return Sentinel(
        sentinel_addresses(settings.redis_sentinels),
        sentinel_kwargs=_sentinel_options(settings), **kwargs,
    )  # fmt: skip


def sync_sentinel(settings: Settings, connection_kwargs: dict[str, Any]) -> redis.sentinel.Sentinel:
    """The blocking sentinel manager, for processes without an event loop (AVL workers)."""
    kwargs = dict(connection_kwargs)
    if settings.redis_url.startswith("rediss://"):
        kwargs["connection_class"] = redis.sentinel.SentinelManagedSSLConnection
    return redis.sentinel.Sentinel(
        sentinel_addresses(settings.redis_sentinels),
        sentinel_kwargs=_sentinel_options(settings), **kwargs,
    )  # fmt: skip


def primary_resolver(sentinel: Sentinel, master: str, base: RedisEndpoint) -> EndpointResolver:
    """Where `master` is now, as asked of the sentinels each time: `base` at that address.
    Raises redis-py's MasterNotFoundError (a ConnectionError) while no primary is known, as
    during a failover's election."""

    async def resolve() -> RedisEndpoint:
        host, port = await sentinel.discover_master(master)
        return replace(base, host=str(host), port=int(port), unix_path=None)

    return resolve
