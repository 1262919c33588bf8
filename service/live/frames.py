"""Server-sent event frames (the text/event-stream wire format)."""

from __future__ import annotations

import json
from typing import Any

# Tells EventSource how long to wait before reconnecting, in ms.
RETRY_MS = 1000


def frame(event: str, data: Any, *, event_id: str | None = None) -> str:
    """One SSE frame; `event_id` becomes the client's Last-Event-ID when given."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event}")
    # json.dumps escapes newlines, so the payload is always a single data line.
    lines.append(f"data: {json.dumps(data, separators=(',', ':'))}")
    return "\n".join(lines) + "\n\n"


def comment(text: str) -> str:
    """A comment frame: keeps proxies and the browser from timing the stream out."""
    return f": {text}\n\n"


def retry() -> str:
    """The frame that sets the client's reconnection delay."""
    return f"retry: {RETRY_MS}\n\n"
