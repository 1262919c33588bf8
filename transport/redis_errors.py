"""Redis's error replies as the exceptions redis-py raises for them, for our own connection.

Redis starts an error reply with a code (`LOADING`, `READONLY`, `NOSCRIPT`, ...); redis-py
turns each code into a class of `redis.exceptions`, and the service tells outages from refusals
by those classes (`cad/outages.py`) and retries forgotten scripts by `NoScriptError`. This is
redis-py 8.2's table, on its public exception classes (8.2 changed it: a full-client reply got a
class of its own, and an unknown code keeps its first word as the status code; hence the pin to
the minor series in pyproject.toml): `tests/cad/test_redis_errors.py` sends
every code in a real error reply through redis-py's own client and ours and wants the same class,
message and status code from both.
"""

from __future__ import annotations

import re

from redis.exceptions import (
    AskError,
    AuthenticationError,
    AuthenticationWrongNumberOfArgsError,
    BusyLoadingError,
    ClusterCrossSlotError,
    ClusterDownError,
    ExecAbortError,
    ExternalAuthProviderError,
    MasterDownError,
    MaxClientsReachedError,
    ModuleError,
    MovedError,
    NoPermissionError,
    NoScriptError,
    NoSuchFieldsetError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisError,
    ResponseError,
    TryAgainError,
)

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
    "max number of clients reached": MaxClientsReachedError,
    "invalid password": AuthenticationError,
    "wrong number of arguments for 'auth' command": AuthenticationWrongNumberOfArgsError,
    "wrong number of arguments for 'AUTH' command": AuthenticationWrongNumberOfArgsError,
    "AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?": AuthenticationError,
    "Client sent AUTH, but no password is set": AuthenticationError,
    "Error loading the extension. Please check the server logs.": ModuleError,
    "Error unloading module: no such module with that name": ModuleError,
    "Error unloading module: operation not possible.": ModuleError,
    "Error unloading module: the module exports one or more module-side data types, "
    "can't unload": ModuleError,
    "problem with LDAP service": ExternalAuthProviderError,
    "no such fieldset": NoSuchFieldsetError,
}
# An unknown code is kept as the status code only when it has a code's shape.
_CODE_SHAPE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")


def error_from_reply(reply: str) -> RedisError:
    """The exception redis-py makes of an error reply (its text without the leading `-`)."""
    code, _, message = reply.partition(" ")
    if code == "ERR":
        return _ERR_BY_MESSAGE.get(message, ResponseError)(message, status_code=code)
    error_class = _BY_CODE.get(code)
    if error_class is None:
        return ResponseError(reply, status_code=code if _CODE_SHAPE.fullmatch(code) else None)
    return error_class(message, status_code=code)
