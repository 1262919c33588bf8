"""Where a live-map client is in every area's audit stream: the SSE event id, and its grammar."""

from __future__ import annotations

import re
from collections.abc import Mapping

from cad.errors import CadError

# An SSE id travels in a header on every reconnect: refuse anything that is not a cursor. Each
# part of an entry id fits Redis's 64-bit stream ids (19 digits always do), ASCII digits only.
_AREA = "[A-Za-z0-9_-]{1,16}"
_ENTRY_ID = "[0-9]{1,19}-[0-9]{1,19}"
MAX_AREAS = 64
# The grammar as the OpenAPI document shows it (a JSON Schema pattern): what `decode` accepts.
PATTERN = f"^({_AREA}={_ENTRY_ID}(,{_AREA}={_ENTRY_ID}){{0,{MAX_AREAS - 1}}})?$"
_AREA_RE = re.compile(_AREA)
_ENTRY_ID_RE = re.compile(_ENTRY_ID)
START = "0-0"
# The alarm audit's place in a cursor, beside the areas' (no dispatch area is spelt in lower case).
ALARMS = "alarms"


class CursorError(CadError, ValueError):
    """An event id or `from` parameter that is not a cursor; the message says what is wrong."""


def encode(positions: Mapping[str, str]) -> str:
    """The cursor as an SSE id: `CW=1732330000000-0,CN=0-0`, areas sorted; the alarm audit's
    place only once an entry of it was sent (absent, it is read from the start all the same)."""
    return ",".join(
        f"{area}={entry}"
        for area, entry in sorted(positions.items())
        if not (area == ALARMS and entry == START)
    )


def decode(text: str) -> dict[str, str]:
    """The positions in a cursor (`PATTERN`); CursorError, saying where, if it is malformed. An
    area named twice resumes from the earlier position: nothing is missed, an entry is resent."""
    positions: dict[str, str] = {}
    if not text:
        return positions
    parts = text.split(",")
    if len(parts) > MAX_AREAS:
        raise CursorError(f"cursor: more than {MAX_AREAS} areas")
    for part in parts:
        area, sep, entry = part.partition("=")
        if not sep or not _AREA_RE.fullmatch(area) or not _ENTRY_ID_RE.fullmatch(entry):
            raise CursorError(f"cursor: {part[:40]!r} is not AREA=MS-SEQ")
        positions[area] = min(entry, positions.get(area, entry), key=_entry_order)
    return positions


def _entry_order(entry: str) -> tuple[int, int]:
    ms, _, seq = entry.partition("-")
    return int(ms), int(seq)


def start_positions(known: Mapping[str, str], areas: set[str]) -> dict[str, str]:
    """Positions to read from: the known ones, and the start of any area the client never saw."""
    # An area missing from the cursor came into being after the client's last event, so every
    # entry of its stream is new to the client: reading it from the start leaves no gap.
    return {area: known.get(area, START) for area in areas | set(known)}
