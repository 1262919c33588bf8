"""`purge_incident.lua`: an archived incident's hash and call list removed from Redis, if it is
still final and its hash unchanged since it was copied, with an `incident_archived` audit
entry."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.incident_record import FINAL
from cad.keys import AreaKeys
from transport.redis_types import AsyncRedis
from transport.scripts import ScriptClient, read_script

SCRIPT = read_script("history", "purge_incident")


class Purged(NamedTuple):
    """`purged`; `missing` (already gone); `changed` (not as archived), with why."""

    outcome: Literal["purged", "missing", "changed"]
    reason: str


async def purge_incident(
    redis: AsyncRedis, *, area: str, ref: str, digest: str, now_ms: int
) -> Purged:
    """Remove the incident `ref` of `area` whose hash was archived with `digest`, if still so."""
    keys = AreaKeys(area)
    outcome, reason = await ScriptClient(redis).run(
        SCRIPT,
        [keys.incident(ref), keys.incident_calls(ref), keys.audit],
        [ref, digest, now_ms, *sorted(FINAL)],
    )
    return Purged(outcome, str(reason))
