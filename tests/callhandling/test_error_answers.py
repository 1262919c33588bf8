"""The one table of error statuses, on the error classes themselves (pure). The outages that can
be produced for real (Redis down, LOADING, READONLY, MASTERDOWN, the broker down) are also
tested against real servers: tests/reliability/test_dependency_outage.py."""

from __future__ import annotations

import pytest
from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    DataError,
    MasterDownError,
    NoPermissionError,
    OutOfMemoryError,
    ReadOnlyError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cad.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    MqttUnavailableError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    UnreadableRecordError,
)
from cad.outages import outage_of
from service.api.error_answers import answer_for


def refused() -> RedisConnectionError:
    """redis-py's error for a refused connection, raised as it raises it (the OSError inside)."""
    try:
        try:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 6379)")
        except OSError:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.") from None
    except RedisConnectionError as exc:
        return exc


@pytest.mark.parametrize(
    ("error", "dependency", "reason"),
    [
        (refused(), "redis", "Connection refused"),
        (RedisConnectionError("Connection closed by server."), "redis", "connection lost"),
        (RedisTimeoutError("Timeout reading from socket"), "redis", "timed out"),
        (BusyLoadingError("Redis is loading the dataset in memory"), "redis", "(LOADING)"),
        (ReadOnlyError("You can't write against a read only replica."), "redis", "(READONLY)"),
        (MasterDownError("Link with MASTER is down"), "redis", "(MASTERDOWN)"),
        (ClusterDownError("The cluster is down"), "redis", "(CLUSTERDOWN)"),
        (TryAgainError("Multiple keys request during rehashing"), "redis", "(TRYAGAIN)"),
        (OutOfMemoryError("command not allowed when used memory > 'maxmemory'"), "redis", "OOM"),
        (ResponseError("MISCONF Redis is configured to save RDB snapshots"), "redis", "MISCONF"),
        (ResponseError("NOREPLICAS Not enough good replicas to write."), "redis", "NOREPLICAS"),
        (ResponseError("BUSY Redis is busy running a script."), "redis", "(BUSY)"),
        (
            ResponseError("Command # 2 (SET k v) of pipeline caused error: MISCONF cannot save"),
            "redis",
            "MISCONF",
        ),
        (MqttUnavailableError("broker not connected within 5s"), "mqtt", "not connected"),
        (UnavailableError("no JWKS", dependency="identity_provider"), "identity_provider", "JWKS"),
    ],
)
def test_an_unavailable_dependency_is_a_503_naming_it(
    error: Exception, dependency: str, reason: str
) -> None:
    answer = answer_for(error, retry_after_s=2)
    assert answer is not None
    assert answer.status == 503
    assert answer.headers == {"Retry-After": "2"}
    assert answer.body["dependency"] == dependency
    assert answer.body["detail"].startswith(f"{dependency} unavailable: ")
    assert reason in answer.body["detail"]
    assert "127.0.0.1" not in answer.body["detail"]  # the address stays in the log


@pytest.mark.parametrize(
    "error",
    [
        # Bugs, not outages: a script error, a command the ACL refuses, bad arguments.
        ResponseError("ERR Error running script: attempt to index a nil value"),
        ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        NoPermissionError("this user has no permissions to run the 'keys' command"),
        DataError("Invalid input of type: 'NoneType'"),
        ValueError("not ours"),
    ],
)
def test_an_error_that_is_a_bug_is_left_to_be_a_500(error: Exception) -> None:
    assert outage_of(error) is None
    assert answer_for(error, retry_after_s=2) is None


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("ref: no incident 'X'"), 404),
        (ConflictError("units: none available"), 409),
        (UnreadableRecordError("incident", "CW", "X", "lon: Field required"), 409),
        (AuthenticationError("missing bearer token"), 401),
        (ForbiddenError("missing role"), 403),
        (RateLimitedError("rate limit", retry_after_s=0.2), 429),
    ],
)
def test_the_services_own_errors_keep_their_statuses(error: Exception, status: int) -> None:
    answer = answer_for(error, retry_after_s=2)
    assert answer is not None
    assert answer.status == status
    assert isinstance(answer.body["detail"], str)


def test_a_refusal_says_how_long_to_wait_and_how_to_authenticate() -> None:
    throttled = answer_for(RateLimitedError("rate limit", retry_after_s=0.2), retry_after_s=2)
    assert throttled is not None
    assert throttled.headers == {"Retry-After": "1"}
    refused_token = answer_for(AuthenticationError("expired"), retry_after_s=2)
    assert refused_token is not None
    assert refused_token.headers["WWW-Authenticate"].startswith("Bearer ")
