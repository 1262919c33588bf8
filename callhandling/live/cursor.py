"""Where a live-map client is in every area's audit stream: the SSE event id, and its grammar."""

from __future__ import annotations

import re
from collections.abc import Mapping

# An SSE id travels in a header on every reconnect: refuse anything that is not a cursor.
_AREA = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_ENTRY_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
MAX_AREAS = 64
START = "0-0"


class CursorError(ValueError):
    """An event id or `from` parameter that is not a cursor; the message says what is wrong."""


def encode(positions: Mapping[str, str]) -> str:
    """The cursor as an SSE id: `CW=1732330000000-0,CN=0-0`, areas sorted."""
    return ",".join(f"{area}={entry}" for area, entry in sorted(positions.items()))


def decode(text: str) -> dict[str, str]:
    """The positions in a cursor; CursorError if it is malformed."""
    positions: dict[str, str] = {}
    if not text.strip():
        return positions
    parts = text.split(",")
    if len(parts) > MAX_AREAS:
        raise CursorError(f"cursor: more than {MAX_AREAS} areas")
    for part in parts:
        area, sep, entry = part.strip().partition("=")
        if not sep or not _AREA.match(area) or not _ENTRY_ID.match(entry):
            raise CursorError(f"cursor: {part[:40]!r} is not AREA=MS-SEQ")
        if area in positions:
            raise CursorError(f"cursor: area {area!r} appears twice")
        positions[area] = entry
    return positions


def start_positions(known: Mapping[str, str], areas: set[str]) -> dict[str, str]:
    """Positions to read from: the known ones, and the start of any area the client never saw."""
    # An area missing from the cursor came into being after the client's last event, so every
    # entry of its stream is new to the client: reading it from the start leaves no gap.
    return {area: known.get(area, START) for area in areas | set(known)}
