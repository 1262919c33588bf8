"""The history routes' answers (docs/history.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from cad.incident_record import IncidentRecord

# A page of one closed incident and the cursor to the next (OpenAPI's example).
EXAMPLE_ARCHIVED: dict[str, Any] = {
    "incidents": [
        {
            "ref": "CAD 0042/12APR26", "area": "CW", "call_id": "c-81",
            "status": "closed", "grade": "I", "incident_type": "robbery",
            "source": "999", "lon": -0.1281, "lat": 51.508,
            "received_ms": 1776000000000, "created_ms": 1776000000120,
            "units": ["CW12"], "closed_ms": 1776002400000,
            "close_code": "resolved",
        }
    ],
    "next_cursor": "1776000000120.CAD 0042/12APR26",
}  # fmt: skip


class ArchivedIncidents(BaseModel):
    """A page of archived incidents, newest first; `next_cursor` fetches the next (none: the
    last page)."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ARCHIVED]})

    incidents: list[IncidentRecord]
    next_cursor: str | None


class AuditEntry(BaseModel):
    """One archived audit entry: where and when, what, about whom, and all its fields."""

    area: str
    id: str
    ts: datetime
    kind: str
    ref: str | None
    callsign: str | None
    actor: str | None
    fields: dict[str, str]


class AuditEntries(BaseModel):
    """A page of audit entries, newest first; `next_cursor` fetches the next."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entries": [
                        {
                            "area": "CW", "id": "1776000000500-0",
                            "ts": "2026-04-12T13:20:00.500Z", "kind": "unit_assigned",
                            "ref": "CAD 0042/12APR26", "callsign": "CW12", "actor": "PC1234",
                            "fields": {"type": "unit_assigned", "ref": "CAD 0042/12APR26",
                                       "callsign": "CW12", "actor": "PC1234"},
                        }
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )  # fmt: skip

    entries: list[AuditEntry]
    next_cursor: str | None
