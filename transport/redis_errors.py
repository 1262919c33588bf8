"""Redis's error replies as the exceptions redis-py raises for them, for our own connection.

Redis starts an error reply with a code (`LOADING`, `READONLY`, `NOSCRIPT`, ...); redis-py
turns each code into a class of `redis.exceptions`, and the service tells outages from refusals
by those classes (`cad/outages.py`) and retries forgotten scripts by `NoScriptError`. This is
redis-py 8's table, on its public exception classes: `tests/cad/test_redis_errors.py` sends
every code in a real error reply through redis-py's own client and ours and wants the same class,
message and status code from both.
"""

from __future__ import annotations

from redis.exceptions import (
    AskError,
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    BusyLoadingError,
    ClusterCrossSlotError,
    ClusterDownError,
    ExecAbortError,
    MasterDownError,
    MovedError,
    NoPermissionError,
    NoScriptError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

_BY_CODE: dict[str, type[RedisError]] = {
    "OOM": OutOfMemoryError,
    "WRONGPASS": AuthenticationError,
    "EXECABORT": ExecAbortError,
    "LOADING": BusyLoadingError,
    "NOSCRIPT": NoScriptError,
    "READONLY": ReadOnlyError,
    "NOAUTH": AuthenticationError,
    "NOPERM": NoPermissionError,
    "ASK": AskError,
    "TRYAGAIN": TryAgainError,
    "MOVED": MovedError,
    "CLUSTERDOWN": ClusterDownError,
    "CROSSSLOT": ClusterCrossSlotError,
    "MASTERDOWN": MasterDownError,
}
# `ERR` replies redis-py tells apart by their whole message; any other `ERR` is a ResponseError.
_ERR_BY_MESSAGE: dict[str, type[RedisError]] = {
    "max number of clients reached": RedisConnectionError,
    "invalid password": AuthenticationError,
    "wrong number of arguments for 'auth' command": AuthenticationWrongNumberOfArgsError,
    "wrong number of arguments for 'AUTH' command": AuthenticationWrongNumberOfArgsError,
    "AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?": AuthenticationError,
    "Client sent AUTH, but no password is set": AuthenticationError,
}


def error_from_reply(reply: str) -> RedisError:
    """The exception redis-py makes of an error reply (its text without the leading `-`)."""
    code, _, message = reply.partition(" ")
    if code == "ERR":
        return _ERR_BY_MESSAGE.get(message, ResponseError)(message, status_code=code)
    error_class = _BY_CODE.get(code)
    if error_class is None:
        return ResponseError(reply)
    return error_class(message, status_code=code)
