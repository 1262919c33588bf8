"""What the archiver writes, made from what Redis holds: pure functions, no I/O.

An audit entry becomes a row with its indexed columns (time, kind, the incidents it is about,
callsign, actor) and every field as JSONB; an incident's hash and calls become a row with its
searchable columns and its whole record as JSONB, so fields added later are kept as they come.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cad.incident_record import IncidentRecord

# The fields of an audit entry that name an incident (service/live/readmodel.py's REF_FIELDS).
REF_FIELDS = ("ref", "from_ref", "to_ref")
# A call's fields that are the caller's number: never copied out of Redis.
CALLER_NUMBER_FIELDS = frozenset({"cli", "cli_hash"})
# A call's free-text fields whose words `q` finds.
_CALL_TEXT_FIELDS = ("text",)


@dataclass(frozen=True, order=True)
class StreamId:
    """A Redis stream entry id, `ms-seq`."""

    ms: int
    seq: int

    @classmethod
    def parse(cls, entry_id: str) -> StreamId:
        ms, _, seq = entry_id.partition("-")
        return cls(int(ms), int(seq or 0))

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"


def hash_digest(fields: dict[str, str]) -> str:
    """The SHA1 of an incident's hash as stored: `name=value` lines by name (the purge script
    makes the same of what Redis holds, to remove only what was archived)."""
    text = "\n".join(f"{name}={fields[name]}" for name in sorted(fields))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def clean(fields: dict[str, str]) -> dict[str, str]:
    """The fields as PostgreSQL can keep them: text there holds no NUL character."""
    return {k.replace("\x00", ""): v.replace("\x00", "") for k, v in fields.items()}


def _ms_time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def audit_row(area: str, entry_id: str, fields: dict[str, str]) -> tuple[Any, ...]:
    """The `audit_entries` row of one stream entry (columns in the archiver's INSERT order)."""
    sid = StreamId.parse(entry_id)
    fields = clean(fields)
    stamp = fields.get("ts_ms", "")
    ts_ms = int(stamp) if stamp.isdigit() else sid.ms
    refs = [fields[f] for f in REF_FIELDS if fields.get(f)]
    return (
        area, sid.ms, sid.seq, _ms_time(ts_ms), fields.get("type") or "unknown",
        refs[0] if refs else None, refs, fields.get("callsign") or None,
        fields.get("actor") or None, fields,
    )  # fmt: skip


def refs_of(fields: dict[str, str]) -> list[str]:
    """Every incident ref an audit entry is about."""
    return [fields[f] for f in REF_FIELDS if fields.get(f)]


def public_call(fields: dict[str, str]) -> dict[str, str]:
    """A call record without the caller's number."""
    return clean({k: v for k, v in fields.items() if k not in CALLER_NUMBER_FIELDS})


def incident_row(
    record: IncidentRecord, fields: dict[str, str], calls: list[dict[str, str]]
) -> tuple[Any, ...]:
    """The `incidents` row of a final incident: `fields` is its whole hash, `calls` its calls
    without the caller's number (columns in the archiver's INSERT order)."""
    # The result: the closing code today; a `result` field, where the record has one, wins.
    fields = clean(fields)
    result = fields.get("result") or record.close_code
    words = [record.ref, record.incident_type or "", result or "", record.close_note or ""]
    words += [c.get(f, "") for c in calls for f in _CALL_TEXT_FIELDS]
    return (
        record.ref, record.area, record.status,
        record.grade.value if record.grade else None, record.incident_type, result,
        _ms_time(record.created_ms),
        _ms_time(record.closed_ms) if record.closed_ms is not None else None,
        list(record.units), fields, calls, " ".join(w for w in words if w),
    )  # fmt: skip
