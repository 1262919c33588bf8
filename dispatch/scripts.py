"""The dispatch core's scripts on one client. Each script is one `.lua` file in `dispatch/lua/`,
called through the one typed function of the module of the same name beside it."""

from __future__ import annotations

from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient


class DispatchScripts(ScriptClient):
    """The dispatch core's scripts, run on one client (by EVALSHA; loaded again when Redis has
    forgotten them)."""


def register_scripts(redis: AsyncRedis) -> DispatchScripts:
    """The dispatch scripts on this client (nothing is sent to Redis until one runs)."""
    return DispatchScripts(redis)
