"""Duplicate and related calls: score open incidents against a new call, with reasons. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from geo import distance_m

# Calls about one incident arrive within minutes; after an hour a call is about something new.
_SAME_TIME_S = 10 * 60
_UNRELATED_AFTER_S = 60 * 60
# A located call without an uncertainty circle is still only good to a street's width.
_MIN_RADIUS_M = 50.0
# Beyond this distance past both circles, location no longer suggests the same incident.
_LOCATION_FALLOFF_M = 1_000.0
WEIGHTS = {"location": 0.5, "time": 0.25, "type": 0.25}
SAME_CALLER_SCORE = 0.9


@dataclass(frozen=True)
class CallFacts:
    """What a new call says: where (with uncertainty), when, what, and who (a hashed number)."""

    lon: float
    lat: float
    radius_m: float | None
    received_ms: int
    incident_type: str | None
    cli_hash: str | None


@dataclass(frozen=True)
class OpenIncident:
    """An open incident as duplicate scoring needs it."""

    ref: str
    lon: float
    lat: float
    radius_m: float | None
    received_ms: int
    incident_type: str | None
    cli_hashes: frozenset[str]


@dataclass(frozen=True)
class Candidate:
    """An open incident the call may be about, how likely (0-1), and why."""

    ref: str
    score: float
    distance_m: float
    reasons: tuple[str, ...]


def score_candidate(call: CallFacts, incident: OpenIncident) -> Candidate:
    """Score one open incident by overlap of location, time, type and caller number."""
    distance = distance_m(call.lon, call.lat, incident.lon, incident.lat)
    reach = max(call.radius_m or 0, _MIN_RADIUS_M) + max(incident.radius_m or 0, _MIN_RADIUS_M)
    reasons: list[str] = []
    if distance <= reach:
        location = 1.0
        reasons.append(f"{distance:.0f} m apart, inside each other's uncertainty ({reach:.0f} m)")
    else:
        location = max(0.0, 1.0 - (distance - reach) / _LOCATION_FALLOFF_M)
        reasons.append(f"{distance:.0f} m apart, beyond the uncertainty ({reach:.0f} m)")
    gap_s = abs(call.received_ms - incident.received_ms) / 1000
    span = _UNRELATED_AFTER_S - _SAME_TIME_S
    timing = 1.0 if gap_s <= _SAME_TIME_S else max(0.0, 1.0 - (gap_s - _SAME_TIME_S) / span)
    reasons.append(f"{gap_s / 60:.0f} min apart")
    if call.incident_type is None or incident.incident_type is None:
        kind = 0.5
        reasons.append("type not known for both")
    elif call.incident_type == incident.incident_type:
        kind = 1.0
        reasons.append(f"same type ({call.incident_type})")
    else:
        kind = 0.0
        reasons.append(f"different type ({call.incident_type} vs {incident.incident_type})")
    score = WEIGHTS["location"] * location + WEIGHTS["time"] * timing + WEIGHTS["type"] * kind
    if call.cli_hash is not None and call.cli_hash in incident.cli_hashes and timing > 0:
        score = max(score, SAME_CALLER_SCORE)
        reasons.append("same caller number")
    return Candidate(incident.ref, round(score, 3), round(distance, 1), tuple(reasons))


def rank_candidates(call: CallFacts, incidents: list[OpenIncident]) -> list[Candidate]:
    """Every open incident scored against the call, best first (ties: nearest first)."""
    scored = [score_candidate(call, incident) for incident in incidents]
    return sorted(scored, key=lambda c: (-c.score, c.distance_m))
