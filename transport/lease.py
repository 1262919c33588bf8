"""A lease in Redis: one process at a time does what it guards, and another takes over within
the lease's time to live when the holder dies."""

from __future__ import annotations

import time

from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient, read_script

_HOLD = read_script("transport", "lease_hold")
_RELEASE = read_script("transport", "lease_release")


class Lease:
    """The lease at `key` (cad/keys.py), held by `holder` for `ttl_s` at a time and renewed
    while held."""

    def __init__(self, redis: AsyncRedis, key: str, *, holder: str, ttl_s: float) -> None:
        self._key = key
        self._holder = holder
        self._ttl_ms = int(ttl_s * 1000)
        self._scripts = ScriptClient(redis)
        self._valid_until = 0.0

    async def hold(self) -> bool:
        """Take the lease or renew it; whether this holder has it now (Redis errors raise)."""
        asked = time.monotonic()
        held = int(await self._scripts.run(_HOLD, [self._key], [self._holder, self._ttl_ms])) == 1
        # Counted from before the request: Redis may have started the lease's clock earlier.
        self._valid_until = asked + self._ttl_ms / 1000 if held else 0.0
        return held

    @property
    def valid(self) -> bool:
        """Whether the last successful `hold` still covers now."""
        return time.monotonic() < self._valid_until

    async def release(self) -> None:
        """Give the lease up, if this holder still has it."""
        self._valid_until = 0.0
        await self._scripts.run(_RELEASE, [self._key], [self._holder])
