"""A call id's claim across the force: the first copy of a call names its dispatch area and a
canonical form of each field of its content; a later copy with the same call id is either the
same call (a redelivery, a replay) or a different call under a used id, refused naming what
differs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cad.errors import ConflictError
from cad.events import CallEvent

# The content a call id stands for, in the order a refusal names the differences.
FIELDS = ("location", "incident_type", "grade", "source", "received_at", "cli", "text")
# 48 bits a digest: a false match of one field is a chance in 2^48.
_DIGEST_HEX = 12
# The claim's stored form, versioned so that a later change of it can read the old one.
_VERSION = "1"
_SEPARATOR = "|"


class CallIdConflictError(ConflictError):
    """A call arrived under a call id already recorded for a different call."""


@dataclass(frozen=True)
class CallClaim:
    """What the first copy of a call id recorded: its area and each content field as compared."""

    area: str
    fields: tuple[str, ...]

    def encode(self) -> str:
        """The claim as the call id's global key holds it."""
        return _SEPARATOR.join((_VERSION, self.area, *self.fields))

    @classmethod
    def decode(cls, stored: str) -> CallClaim:
        """The claim from the call id's global key."""
        version, area, *fields = stored.split(_SEPARATOR)
        if version != _VERSION or len(fields) != len(FIELDS):
            raise ValueError(f"call id claim of an unknown form: version {version}")
        return cls(area, tuple(fields))

    def differing(self, other: CallClaim) -> list[str]:
        """The content fields that differ, in `FIELDS` order (the area is not content: it follows
        from the location and the boundaries of the day)."""
        return [f for f, a, b in zip(FIELDS, self.fields, other.fields, strict=True) if a != b]


def claim_of(event: CallEvent, area: str, salt: str) -> CallClaim:
    """The claim a call makes. The fields of a fixed form are kept as they are (a float's repr
    is its shortest exact form; the time, seconds since the epoch, is one instant whatever offset
    it was written with); the caller's number and words, and the free-form type, as salted
    digests: the claim gives no caller data back (a number has few enough digits to be guessed
    from a bare hash), and no separator can come out of a digest."""
    loc = event.location
    return CallClaim(
        area,
        (
            f"{loc.lon!r},{loc.lat!r},{'' if loc.radius_m is None else repr(loc.radius_m)}",
            _digest(salt, event.incident_type),
            "" if event.grade is None else event.grade.value,
            event.source.value,
            repr(event.received_at.timestamp()),
            _digest(salt, event.cli),
            _digest(salt, event.text),
        ),
    )


def _digest(salt: str, value: str | None) -> str:
    if value is None:
        return ""
    return hashlib.sha256(f"{salt}\0{value}".encode()).hexdigest()[:_DIGEST_HEX]


def conflict_reason(call_id: str, first: CallClaim, copy: CallClaim) -> str | None:
    """Why a copy of a call must be refused, naming each field that differs from the call first
    recorded under its id (the areas, when its location falls in another), never a value of the
    caller's: None for the same call."""
    named = []
    for name in copy.differing(first):
        if name == "location" and first.area != copy.area:
            named.append(f"location (area {first.area}, not {copy.area})")
        else:
            named.append(name)
    if not named:
        return None
    return f"call_id: {call_id} already recorded with a different {', '.join(named)}"
