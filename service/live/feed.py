"""Reading every area's audit stream from a cursor, and attaching what the map needs to redraw."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from cad.keys import AlarmKeys, AreaKeys
from cad.unreadable import UnreadableRecords
from service.alarms.store import read_alarms
from service.live import cursor
from service.live.readmodel import REF_FIELDS, Row, known_areas, read_incidents, read_units
from transport.redis_streams import read_streams
from transport.redis_types import AsyncRedis


@dataclass
class AuditFeed:
    """One client's position in every area's audit stream, advanced batch by batch; records the
    enrichment cannot read are reported to `unreadable` (once a stream)."""

    redis: AsyncRedis
    positions: dict[str, str]
    unreadable: UnreadableRecords
    block_ms: int = 1000
    count: int = 500

    async def next_batch(self) -> list[Row]:
        """The next audit entries after the cursor (waiting up to `block_ms`), enriched; the
        alarm audit's entries among them (`area` is `cursor.ALARMS`) each with its alarm."""
        areas = await known_areas(self.redis)
        self.positions = cursor.start_positions(self.positions, areas | {cursor.ALARMS})
        by_key = {_audit_key(area): area for area in self.positions}
        streams = {key: self.positions[area] for key, area in by_key.items()}
        reply = await read_streams(self.redis, streams, count=self.count, block_ms=self.block_ms)
        entries: list[Row] = []
        for key, items in reply:
            area = by_key[key]
            entries += [{**fields, "area": area, "id": entry_id} for entry_id, fields in items]
        await enrich(
            self.redis, [e for e in entries if e["area"] != cursor.ALARMS], self.unreadable
        )
        await attach_alarms(self.redis, [e for e in entries if e["area"] == cursor.ALARMS])
        return entries

    def advance_past(self, entries: list[Row]) -> str:
        """Move past delivered entries; the new cursor is the SSE id of the event carrying them."""
        for entry in entries:
            self.positions[entry["area"]] = entry["id"]
        return cursor.encode(self.positions)


def _audit_key(area: str) -> str:
    return AlarmKeys().audit if area == cursor.ALARMS else AreaKeys(area).audit


async def attach_alarms(redis: AsyncRedis, entries: list[Row]) -> None:
    """Attach to each alarm audit entry the alarm as it is now (none once it has expired)."""
    found = await read_alarms(redis, sorted({e["alarm_id"] for e in entries}))
    alarms = {a.alarm_id: a.model_dump(mode="json") for a in found}
    for entry in entries:
        entry["alarm"] = alarms.get(entry["alarm_id"])


async def enrich(redis: AsyncRedis, entries: list[Row], unreadable: UnreadableRecords) -> None:
    """Attach to each entry the current row of the incident and the unit it names (none for a
    record that does not parse: the entry itself still goes)."""
    refs: dict[str, set[str]] = defaultdict(set)
    callsigns: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        refs[entry["area"]].update(entry[f] for f in REF_FIELDS if entry.get(f))
        if entry.get("callsign"):
            callsigns[entry["area"]].add(entry["callsign"])
    incidents: dict[str, Row] = {}
    units: dict[str, Row] = {}
    for area, names in refs.items():
        rows = await read_incidents(redis, area, sorted(names), unreadable)
        incidents |= {r["ref"]: r for r in rows}
    for area, names in callsigns.items():
        units |= {
            u["callsign"]: u for u in await read_units(redis, area, unreadable, sorted(names))
        }
    for entry in entries:
        # The current state, which may be newer than the entry: the map wants the latest.
        related: list[Any] = [incidents.get(entry.get(f, "")) for f in REF_FIELDS]
        entry["incidents"] = [r for r in related if r is not None]
        entry["unit"] = units.get(entry.get("callsign", ""))
