"""`open_incident_facts.lua`: what duplicate scoring needs of the open incidents near a call, in
one call; closed ones are dropped from the area's open set on the way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cad.keys import AreaKeys
from cad.unreadable import log_unreadable, unreadable_record
from callhandling.duplicates import OpenIncident
from callhandling.lua import call_script
from transport.scripts import Batch, Queued

SCRIPT = call_script("open_incident_facts")


def queue_open_incident_facts(
    batch: Batch, *, area: str, refs: Sequence[str]
) -> Queued[tuple[OpenIncident, ...]]:
    """The incidents of `refs` that are still open, as duplicate scoring takes them; one whose
    facts do not parse is left out (and logged): the call goes on without it."""
    keys = AreaKeys(area)
    return batch.script(
        SCRIPT,
        [keys.open_incidents, *(keys.incident(ref) for ref in refs)],
        list(refs),
        lambda flat: _read(area, flat),
    )


def _read(area: str, flat: Sequence[Any]) -> tuple[OpenIncident, ...]:
    found = []
    for row in zip(*[iter(flat)] * 7, strict=True):
        try:
            found.append(_open_incident(*row))
        except ValueError as exc:
            log_unreadable(unreadable_record("incident", area, row[0], exc))
    return tuple(found)


def _open_incident(
    ref: str, lon: str, lat: str, radius_m: str, received_ms: str, kind: str, cli_hashes: str
) -> OpenIncident:
    return OpenIncident(
        ref=ref,
        lon=float(lon),
        lat=float(lat),
        radius_m=float(radius_m) if radius_m else None,
        received_ms=int(received_ms),
        incident_type=kind or None,
        cli_hashes=frozenset(h for h in cli_hashes.split(",") if h),
    )
