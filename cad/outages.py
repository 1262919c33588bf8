"""Telling a dependency outage (Redis or the broker cannot serve now) from any other failure.

An outage is waited out: nothing is wrong with the request or the message, and trying again
later will do. Anything else is a refusal or a defect, and is reported as such.
"""

from __future__ import annotations

from redis import exceptions as redis_errors

from cad.errors import MqttUnavailableError, UnavailableError

# Redis refuses now but will serve again: down, unreachable, timed out, loading its data set,
# a replica during a failover (READONLY), a cluster re-sharding or without a primary.
_REDIS_OUTAGES: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,
    redis_errors.ClusterDownError,
    redis_errors.TryAgainError,
    redis_errors.SlotNotCoveredError,
)


def outage_of(error: BaseException) -> str | None:
    """The dependency whose outage `error` is ("redis", "mqtt"), or None for any other error."""
    if isinstance(error, _REDIS_OUTAGES):
        return "redis"
    if isinstance(error, MqttUnavailableError):
        return "mqtt"
    if isinstance(error, UnavailableError):
        return "dependency"
    if isinstance(error, OSError):
        # A socket error below the clients' own error types (a refused or reset connection).
        return "network"
    return None
