"""Telling a dependency outage (Redis, the broker or the identity provider cannot serve now) from
any other failure, and saying why in words fit for a client.

An outage is waited out: nothing is wrong with the request or the message, and trying again
later will do (an HTTP 503; an MQTT message left unacknowledged). Anything else is a refusal or
a defect, and is answered as such.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    MasterDownError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterUnreachableError,
    RedisError,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cad.errors import UnavailableError

# Redis's own words for "not now" (redis-py's classes, most specific first: BusyLoadingError is a
# ConnectionError, MasterDownError a ClusterDownError). The address in redis-py's message stays in
# the log: a client is told what is wrong, not where the servers are.
_REDIS_STATES: tuple[tuple[type[Exception], str], ...] = (
    (BusyLoadingError, "loading its data set (LOADING)"),
    (ReadOnlyError, "a read-only replica (READONLY): a failover may be under way"),
    (MasterDownError, "a replica whose link to its primary is down (MASTERDOWN)"),
    (ClusterDownError, "cluster down (CLUSTERDOWN)"),
    (TryAgainError, "asked to try again (TRYAGAIN)"),
    (SlotNotCoveredError, "a cluster slot without a primary"),
    (RedisClusterUnreachableError, "no node of the cluster answers"),
    (OutOfMemoryError, "out of memory (OOM)"),
    (RedisTimeoutError, "timed out"),
)
# Error replies redis-py has no class for that also mean the server cannot serve writes for now.
_REDIS_CODES = {
    "MISCONF": "cannot persist to disk (MISCONF)",
    "NOREPLICAS": "not enough replicas (NOREPLICAS)",
    "BUSY": "busy running a script (BUSY)",
}


@dataclass(frozen=True)
class Outage:
    """A dependency that cannot serve now, and why, in words fit for a client."""

    dependency: str
    reason: str


def outage_of(error: BaseException) -> Outage | None:
    """The dependency an error says is unavailable (Redis, the broker, the identity provider, the
    network under them), or None when the error is not about an unavailable dependency."""
    if isinstance(error, UnavailableError):
        return Outage(error.dependency, str(error))
    for error_type, reason in _REDIS_STATES:
        if isinstance(error, error_type):
            return Outage("redis", reason)
    if isinstance(error, RedisConnectionError):
        return Outage("redis", _connection_failure(error))
    if isinstance(error, ResponseError):
        # A pipeline's error names its command first: `Command # 2 (SET ...) ... caused error: `.
        reply = str(error).rpartition("caused error: ")[2].lstrip("('\"")
        code = reply.split(" ", 1)[0]
        if code in _REDIS_CODES:
            return Outage("redis", _REDIS_CODES[code])
        return None
    if isinstance(error, OSError) and not isinstance(error, RedisError):
        # A socket error below the clients' own types (a refused or reset connection).
        return Outage("network", _connection_failure(error))
    return None


def _connection_failure(error: BaseException) -> str:
    """`Connection refused`, `No route to host`...: the system's words, without the address."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno:
            return os.strerror(seen.errno)
        seen = seen.__cause__ or seen.__context__
    return "connection lost"
