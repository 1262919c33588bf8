"""The one way a `cad` process opens Redis: decoded strings, timeouts on every network call."""

from __future__ import annotations

from redis.asyncio import Redis

from cad.settings import Settings


def open_redis(settings: Settings) -> Redis:
    """An asyncio Redis client for the configured URL."""
    return Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_timeout=settings.network_timeout_s,
        socket_connect_timeout=settings.network_timeout_s,
        health_check_interval=30,
    )
