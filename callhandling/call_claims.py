"""A call id's claim across the force: the first copy of a call names its dispatch area and the
digest of each field of its content; a later copy with the same call id is either the same call
(a redelivery, a replay) or a different call under a used id, refused naming what differs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC

from cad.errors import ConflictError
from cad.events import CallEvent

# The content a call id stands for, in the order a refusal names the differences.
FIELDS = ("location", "incident_type", "grade", "source", "received_at", "cli", "text")
# 48 bits a field: a false match of one field is a chance in 2^48.
_DIGEST_HEX = 12
# The claim's stored form, versioned so that a later change of it can read the old one.
_VERSION = "1"
_SEPARATOR = "|"


class CallIdConflictError(ConflictError):
    """A call arrived under a call id already recorded for a different call."""


@dataclass(frozen=True)
class CallClaim:
    """What the first copy of a call id recorded: its area and a digest of each content field."""

    area: str
    digests: tuple[str, ...]

    def encode(self) -> str:
        """The claim as the call id's global key holds it."""
        return _SEPARATOR.join((_VERSION, self.area, *self.digests))

    @classmethod
    def decode(cls, stored: str) -> CallClaim:
        """The claim from the call id's global key."""
        version, area, *digests = stored.split(_SEPARATOR)
        if version != _VERSION or len(digests) != len(FIELDS):
            raise ValueError(f"call id claim of an unknown form: version {version}")
        return cls(area, tuple(digests))

    def differing(self, other: CallClaim) -> list[str]:
        """The content fields whose digests differ, in `FIELDS` order (the area is not content:
        it follows from the location and the boundaries of the day)."""
        return [f for f, a, b in zip(FIELDS, self.digests, other.digests, strict=True) if a != b]


def claim_of(event: CallEvent, area: str, salt: str) -> CallClaim:
    """The claim a call makes: salted digests, so that the stored form gives no caller's number
    or words back (a number has few enough digits to be guessed from a bare hash)."""
    loc = event.location
    values = (
        (loc.lon, loc.lat, loc.radius_m),
        event.incident_type,
        None if event.grade is None else event.grade.value,
        event.source.value,
        # One instant, one form, whatever offset the sender wrote it with.
        event.received_at.astimezone(UTC).isoformat(),
        event.cli,
        event.text,
    )
    return CallClaim(area, tuple(_digest(salt, f, v) for f, v in zip(FIELDS, values, strict=True)))


def _digest(salt: str, name: str, value: object) -> str:
    # repr is canonical here: a float's shortest round trip, a string quoted, None unquoted.
    return hashlib.sha256(f"{salt}\0{name}={value!r}".encode()).hexdigest()[:_DIGEST_HEX]


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
