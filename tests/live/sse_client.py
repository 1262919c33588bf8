"""A small reader of text/event-stream over a real HTTP connection, for the tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    """One server-sent event."""

    event: str
    data: Any
    id: str | None


async def events(response: httpx.Response) -> AsyncIterator[Event]:
    """The events of a streaming response, comments skipped."""
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "data" in fields:
                data = json.loads(fields["data"])
                yield Event(fields.get("event", "message"), data, fields.get("id"))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


async def audit_entries(
    client: httpx.AsyncClient,
    want: int,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    within_s: float = 5.0,
) -> tuple[list[dict[str, Any]], str | None]:
    """The first `want` audit entries a fresh connection delivers, and the last event id."""
    entries: list[dict[str, Any]] = []
    last_id = None
    async with (
        asyncio.timeout(within_s),
        client.stream("GET", "/v1/events", headers=headers, params=params) as r,
    ):
        assert r.status_code == 200, await r.aread()
        assert r.headers["content-type"].startswith("text/event-stream")
        async for event in events(r):
            if event.event == "audit":
                entries += event.data
                last_id = event.id
                if len(entries) >= want:
                    break
    return entries, last_id
