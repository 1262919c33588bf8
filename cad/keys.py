"""Redis key names: the one place that spells them.

Every key of one dispatch area (a BCU) carries the area as its hash tag, `cad:{CW}:...`, so every
Lua script touches one slot and runs unchanged on Redis Cluster. The few global keys (the daily
reference sequence, the ref and callsign directories, the call id claims) are never touched inside
a script.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AreaKeys:
    """The keys of one dispatch area."""

    area: str
    prefix: str = "cad"

    @property
    def tag(self) -> str:
        return f"{self.prefix}:{{{self.area}}}"

    @property
    def units(self) -> str:
        """Hash: callsign -> the unit's registry record (JSON)."""
        return f"{self.tag}:units"

    @property
    def unit_status(self) -> str:
        """Hash: callsign -> current status."""
        return f"{self.tag}:unit:status"

    @property
    def unit_incident(self) -> str:
        """Hash: callsign -> the incident ref it is committed to."""
        return f"{self.tag}:unit:incident"

    @property
    def unit_tasking(self) -> str:
        """Hash: callsign -> the tasking id it was last sent."""
        return f"{self.tag}:unit:tasking"

    @property
    def unit_since(self) -> str:
        """Hash: callsign -> when its current status began (ms since the epoch)."""
        return f"{self.tag}:unit:since"

    @property
    def unit_by(self) -> str:
        """Hash: callsign -> who set its current status."""
        return f"{self.tag}:unit:by"

    def capability(self, name: str) -> str:
        """Set: the callsigns of the area's units that have a capability."""
        return f"{self.tag}:cap:{name}"

    @property
    def unit_fix(self) -> str:
        """Hash: callsign -> time of its last AVL fix (ms since the epoch)."""
        return f"{self.tag}:unit:fix"

    @property
    def positions(self) -> str:
        """Geo set: the last known position of every unit of the area."""
        return f"{self.tag}:positions"

    @property
    def available(self) -> str:
        """Geo set: the positions of the units that may be dispatched now."""
        return f"{self.tag}:available"

    def packing(self, geo_set: str) -> str:
        """Geo set: the scratch copy of one of the area's geo sets while it is re-packed."""
        return f"{geo_set}:packing"

    @property
    def pending(self) -> str:
        """Sorted set: incidents waiting for a unit, ordered by grade then age."""
        return f"{self.tag}:pending"

    @property
    def transfer(self) -> str:
        """Sorted set: incidents held for hand-over to another force, by time received."""
        return f"{self.tag}:transfer"

    @property
    def awaiting_result(self) -> str:
        """Sorted set: incidents whose last unit has cleared, waiting for a result code to close
        them, by when they cleared (ms since the epoch)."""
        return f"{self.tag}:awaiting-result"

    @property
    def audit(self) -> str:
        """Stream: every state change of the area, the audit log and the live map's feed."""
        return f"{self.tag}:audit"

    def incident(self, ref: str) -> str:
        """Hash: one incident."""
        return f"{self.tag}:incident:{ref}"

    def call(self, call_id: str) -> str:
        """Hash: one call (a contact) and the incident it belongs to; idempotency by call id."""
        return f"{self.tag}:call:{call_id}"

    def incident_calls(self, ref: str) -> str:
        """Sorted set: the call ids linked to an incident, by time received."""
        return f"{self.tag}:incident:{ref}:calls"

    def moved(self, ref: str) -> str:
        """String, with a TTL: the dispatch area an incident of this area moved to (a location
        correction into another area: callhandling/incident_move.py), for a reader who still
        finds this area in the ref directory."""
        return f"{self.tag}:moved:{ref}"

    @property
    def open_incidents(self) -> str:
        """Geo set: where the area's open incidents are, for duplicate-call search."""
        return f"{self.tag}:open"

    def creation_fence(self, cell: str) -> str:
        """Counter: bumped whenever an incident opens in or next to a ~1.5 km map cell."""
        return f"{self.tag}:fence:{cell}"


@dataclass(frozen=True)
class GlobalKeys:
    """Keys that span areas; only ever touched outside Lua scripts."""

    prefix: str = "cad"

    def ref_sequence(self, day: str) -> str:
        """Counter: the per-day incident reference sequence."""
        return f"{self.prefix}:refseq:{day}"

    @property
    def incident_area(self) -> str:
        """Hash: incident ref -> its dispatch area."""
        return f"{self.prefix}:incident-area"

    @property
    def unit_area(self) -> str:
        """Hash: callsign -> the dispatch area that holds the unit."""
        return f"{self.prefix}:unit-area"

    @property
    def areas(self) -> str:
        """Set: every dispatch area that holds units or incidents."""
        return f"{self.prefix}:areas"

    def lease(self, name: str) -> str:
        """String: who holds a lease (`intake`: the call intake's MQTT session), with a TTL."""
        return f"{self.prefix}:lease:{name}"

    def job_lease(self, job: str) -> str:
        """String: the replica leading the periodic job `job` (transport/led_job.py), with a TTL."""
        return self.lease(f"job:{job}")

    def call_id(self, call_id: str) -> str:
        """String: the claim of a call id across the force, its first copy's area and content in
        a canonical form (callhandling/call_claims.py); expires with the caller data."""
        return f"{self.prefix}:call-id:{call_id}"


@dataclass(frozen=True)
class AlarmKeys:
    """The alarms' keys (service/alarms/): force-wide, under one hash tag of their own, so that
    the alarm scripts touch one slot on Redis Cluster as the area scripts do."""

    prefix: str = "cad"

    @property
    def tag(self) -> str:
        return f"{self.prefix}:{{alarms}}"

    def alarm(self, alarm_id: str) -> str:
        """Hash: one alarm (cad/alarm_record.py); expires CAD_ALARM_RETENTION_S after clearing."""
        return f"{self.tag}:alarm:{alarm_id}"

    @property
    def index(self) -> str:
        """Sorted set: every alarm id kept, by when it was (last) raised (ms)."""
        return f"{self.tag}:index"

    @property
    def audit(self) -> str:
        """Stream: every alarm raised, acknowledged (with the actor) and cleared; the live map's
        alarm feed."""
        return f"{self.tag}:audit"
