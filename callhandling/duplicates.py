"""Duplicate and related calls: score open incidents against a new call, with reasons. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

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


class OpenIncident(NamedTuple):
    """An open incident as duplicate scoring needs it (a call storm brings many)."""

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


_TypeMatch = Literal["unknown", "same", "different"]
_TYPE_SCORES: dict[_TypeMatch, float] = {"unknown": 0.5, "same": 1.0, "different": 0.0}


class _Overlap(NamedTuple):
    """How far one call and one incident agree, before it is put into words."""

    distance_m: float
    reach_m: float
    gap_s: float
    type_match: _TypeMatch
    same_caller: bool
    score: float


def _overlap(call: CallFacts, incident: OpenIncident) -> _Overlap:
    distance = distance_m(call.lon, call.lat, incident.lon, incident.lat)
    reach = max(call.radius_m or 0, _MIN_RADIUS_M) + max(incident.radius_m or 0, _MIN_RADIUS_M)
    beyond = distance - reach
    location = 1.0 if beyond <= 0 else max(0.0, 1.0 - beyond / _LOCATION_FALLOFF_M)
    gap_s = abs(call.received_ms - incident.received_ms) / 1000
    span = _UNRELATED_AFTER_S - _SAME_TIME_S
    timing = 1.0 if gap_s <= _SAME_TIME_S else max(0.0, 1.0 - (gap_s - _SAME_TIME_S) / span)
    type_match: _TypeMatch
    if call.incident_type is None or incident.incident_type is None:
        type_match = "unknown"
    else:
        type_match = "same" if call.incident_type == incident.incident_type else "different"
    score = (
        WEIGHTS["location"] * location + WEIGHTS["time"] * timing
        + WEIGHTS["type"] * _TYPE_SCORES[type_match]
    )  # fmt: skip
    same_caller = call.cli_hash is not None and call.cli_hash in incident.cli_hashes and timing > 0
    if same_caller:
        score = max(score, SAME_CALLER_SCORE)
    return _Overlap(distance, reach, gap_s, type_match, same_caller, round(score, 3))


def _candidate(call: CallFacts, incident: OpenIncident, overlap: _Overlap) -> Candidate:
    distance, reach = overlap.distance_m, overlap.reach_m
    if distance <= reach:
        reasons = [f"{distance:.0f} m apart, inside each other's uncertainty ({reach:.0f} m)"]
    else:
        reasons = [f"{distance:.0f} m apart, beyond the uncertainty ({reach:.0f} m)"]
    reasons.append(f"{overlap.gap_s / 60:.0f} min apart")
    if overlap.type_match == "unknown":
        reasons.append("type not known for both")
    elif overlap.type_match == "same":
        reasons.append(f"same type ({call.incident_type})")
    else:
        reasons.append(f"different type ({call.incident_type} vs {incident.incident_type})")
    if overlap.same_caller:
        reasons.append("same caller number")
    return Candidate(incident.ref, overlap.score, round(distance, 1), tuple(reasons))


def score_candidate(call: CallFacts, incident: OpenIncident) -> Candidate:
    """Score one open incident by overlap of location, time, type and caller number."""
    return _candidate(call, incident, _overlap(call, incident))


def rank_candidates(
    call: CallFacts, incidents: Sequence[OpenIncident], limit: int | None = None
) -> list[Candidate]:
    """The open incidents scored against the call, best first (ties: nearest first); the best
    `limit` of them when given (only those are put into words: a call storm has many)."""
    overlaps = sorted(
        ((_overlap(call, incident), incident) for incident in incidents),
        key=lambda pair: (-pair[0].score, round(pair[0].distance_m, 1)),
    )
    return [_candidate(call, incident, overlap) for overlap, incident in overlaps[:limit]]
