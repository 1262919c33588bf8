"""The incidents Redis holds whose call was received in a report's window: every ref of the
ref directory (open incidents, and final ones not yet purged), their hashes read in batches."""

from __future__ import annotations

from dataclasses import dataclass, field

from cad.keys import AreaKeys, GlobalKeys
from history.report_facts import FACT_FIELDS, IncidentFacts, UnreadableFactsError, incident_facts
from transport.redis_types import AsyncRedis

# Refs read per HSCAN step and per pipeline.
_BATCH = 500


@dataclass
class LiveFacts:
    """The live incidents in a window, and the refs whose hashes could not be read."""

    facts: list[IncidentFacts] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


async def live_facts(redis: AsyncRedis, *, from_ms: int, to_ms: int) -> LiveFacts:
    """Every incident in Redis whose call was received in `[from_ms, to_ms)`, of any area (the
    area filter is applied with the archived ones, so that a ref in Redis always hides its
    archived copy)."""
    found = LiveFacts()
    cursor = 0
    while True:
        cursor, homes = await redis.hscan(GlobalKeys().incident_area, cursor, count=_BATCH)
        await _read(redis, list(homes.items()), from_ms, to_ms, found)
        if cursor == 0:
            break
    # HSCAN may return a ref twice (the hash being resized between steps).
    found.facts = sorted({f.ref: f for f in found.facts}.values(), key=lambda f: f.ref)
    found.unreadable = sorted(set(found.unreadable))
    return found


async def _read(
    redis: AsyncRedis, homes: list[tuple[str, str]], from_ms: int, to_ms: int, found: LiveFacts
) -> None:
    if not homes:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for ref, area in homes:
            pipe.hmget(AreaKeys(area).incident(ref), list(FACT_FIELDS))
        rows: list[list[str | None]] = await pipe.execute()
    for (ref, _), values in zip(homes, rows, strict=True):
        try:
            facts = incident_facts(ref, values)
        except UnreadableFactsError:
            found.unreadable.append(ref)
            continue
        if facts is not None and from_ms <= facts.received_ms < to_ms:
            found.facts.append(facts)
