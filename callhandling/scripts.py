"""The call handling scripts on one client. Each script is one `.lua` file in `callhandling/lua/`,
called through the one typed function of the module of the same name beside it."""

from __future__ import annotations

from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient


class CallScripts(ScriptClient):
    """The scripts of calls and incidents, run on one client (by EVALSHA; loaded again when
    Redis has forgotten them)."""


def register_call_scripts(redis: AsyncRedis) -> CallScripts:
    """The call handling scripts on this client (nothing is sent to Redis until one runs)."""
    return CallScripts(redis)
