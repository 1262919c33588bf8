"""Taskings: what a claimed unit is told, sent to its MDT over MQTT with QoS 1."""

from __future__ import annotations

from cad.events import Tasking, utcnow
from cad.incident_record import IncidentRecord
from cad.publisher import Publisher
from cad.topics import Topics
from geo import eta_seconds


def build_tasking(incident: IncidentRecord, *, tasking_id: str, distance_m: float) -> Tasking:
    """The tasking for a unit claimed for `incident`, `distance_m` away in a straight line."""
    return Tasking(
        tasking_id=tasking_id,
        incident_ref=incident.ref,
        call_id=incident.call_id,
        grade=incident.grade,
        incident_type=incident.incident_type,
        location=incident.location,
        eta_s=round(eta_seconds(distance_m), 1),
        issued_at=utcnow(),
    )


async def send_tasking(
    publisher: Publisher, topics: Topics, callsign: str, tasking: Tasking
) -> None:
    """Publish the tasking on the unit's own topic, QoS 1 (its persistent session keeps it)."""
    await publisher.publish(topics.tasking(callsign), tasking.model_dump_json().encode(), qos=1)
