"""Redis behind Sentinel: the sentinels say which server is the primary now.

redis-py's public Sentinel support serves its pools (asyncio and blocking): each new connection
asks the sentinels, and one to a server that was demoted is dropped. Our shared connection
(transport/redis_link.py) gets the same from `primary_resolver`, awaited before it connects.

Which sentinel to believe: redis-py takes the first one that names a primary it thinks up, but a
sentinel that has not yet heard of a failover (its hello messages lag; or it restarted from an
old configuration file) names the old primary, and a killed primary restarted by its supervisor
is up again, as a primary with no replica, until the sentinels make it a replica of the new one
(about 10 s later) and it drops what it was given meanwhile: every call written there was lost
(tests/ha/test_sentinel_storm.py, 24 calls under CI's load). Sentinel orders configurations by
their epoch, each failover's greater than the last, so we ask every sentinel and follow the one
whose configuration is the newest (`newest_primary`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

import redis.sentinel
from redis.asyncio.sentinel import Sentinel, SentinelManagedSSLConnection
from redis.exceptions import RedisError

from cad.settings import Settings, sentinel_addresses
from transport.redis_link import EndpointResolver, RedisEndpoint


def newest_primary(
    master: str, answers: Iterable[object], usable: Callable[[Mapping[str, Any]], bool]
) -> tuple[str, int]:
    """The address named by the newest configuration (the greatest `config-epoch`) among the
    sentinels' answers (each a `SENTINEL MASTER` state, or the error that came instead) that
    `usable` accepts (a primary they think up). Raises redis-py's MasterNotFoundError (a
    ConnectionError) when none does, as during a failover's election."""
    states: list[Mapping[str, Any]] = []
    errors: list[str] = []
    for answer in answers:
        if isinstance(answer, RedisError):  # down, or does not watch this master
            errors.append(f"{answer!r}: {answer}" if str(answer) else f"{answer!r}")
        elif isinstance(answer, BaseException):
            raise answer
        elif isinstance(answer, Mapping) and usable(answer):
            states.append(answer)
    if not states:
        why = f": {', '.join(errors)}" if errors else ""
        raise redis.sentinel.MasterNotFoundError(f"No master found for {master!r}{why}")
    newest = max(states, key=lambda state: int(state["config-epoch"]))
    return str(newest["ip"]), int(newest["port"])


class NewestConfigSentinel(Sentinel):  # type: ignore[misc]
    """redis-py's asyncio Sentinel manager, following the newest configuration (module doc)."""

    async def discover_master(self, service_name: str) -> tuple[str, int]:
        asks = [
            asyncio.ensure_future(sentinel.sentinel_master(service_name))
            for sentinel in self.sentinels
        ]
        for ask in asks:  # one given up below may still end with an error: taken, not reported
            ask.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            await _most_then_grace(asks)
            answers = [
                ask.exception() or ask.result()
                for ask in asks
                if ask.done() and not ask.cancelled()
            ]
        finally:
            for ask in asks:  # the stragglers: as if they had answered nothing
                ask.cancel()
        return newest_primary(
            service_name, answers, lambda state: self.check_master_state(state, service_name)
        )


# Once most sentinels have answered, how long the others still get: one that is down without
# refusing (its machine off, a firewall dropping) must not hold every new connection of the
# service for the whole network timeout. One that has not answered by then counts as one that
# answered nothing; the newest configuration is lost only if it alone knew it.
STRAGGLER_GRACE_S = 0.25


async def _most_then_grace(asks: list[asyncio.Future[Any]]) -> None:
    """Wait until most of `asks` are done (a majority), then `STRAGGLER_GRACE_S` more at most."""
    pending = set(asks)
    while pending and len(asks) - len(pending) <= len(asks) // 2:
        _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    if pending:
        await asyncio.wait(pending, timeout=STRAGGLER_GRACE_S)


class NewestConfigSyncSentinel(redis.sentinel.Sentinel):  # type: ignore[misc]
    """The same for processes without an event loop (AVL workers): asked one after another."""

    def discover_master(self, service_name: str) -> tuple[str, int]:
        answers: list[object] = []
        for sentinel in self.sentinels:
            try:
                answers.append(sentinel.sentinel_master(service_name))
            except RedisError as error:
                answers.append(error)
        return newest_primary(
            service_name, answers, lambda state: self.check_master_state(state, service_name)
        )


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
    return NewestConfigSentinel(
        sentinel_addresses(settings.redis_sentinels),
        sentinel_kwargs=_sentinel_options(settings), **kwargs,
    )  # fmt: skip


def sync_sentinel(settings: Settings, connection_kwargs: dict[str, Any]) -> redis.sentinel.Sentinel:
    """The blocking sentinel manager, for processes without an event loop (AVL workers)."""
    kwargs = dict(connection_kwargs)
    if settings.redis_url.startswith("rediss://"):
        kwargs["connection_class"] = redis.sentinel.SentinelManagedSSLConnection
    return NewestConfigSyncSentinel(
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
