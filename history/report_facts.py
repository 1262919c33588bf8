"""What a report needs of one incident, read from its Redis hash. Pure: no I/O.

The report counts every incident whose first call was received in its window: those archived
in PostgreSQL and those Redis still holds (open ones, and final ones the archiver has not
copied or not yet purged). An incident in both counts once, as Redis has it: Redis is the
live record, and the archiver's copy is at most as new (history/report_query.py leaves out
every archived row whose ref the live facts name).
"""

from __future__ import annotations

from dataclasses import dataclass

from cad.errors import CadError

# The hash fields read, in this order (received_ms: the call's time, when the clock starts).
FACT_FIELDS = ("area", "grade", "status", "received_ms", "dispatched_ms", "on_scene_ms")


@dataclass(frozen=True)
class IncidentFacts:
    """One incident's area, grade (None: not graded yet), status and times (epoch ms)."""

    ref: str
    area: str
    grade: str | None
    status: str
    received_ms: int
    dispatched_ms: int | None
    on_scene_ms: int | None


class UnreadableFactsError(CadError):
    """A hash whose times or area cannot be read: the report names its ref instead."""


def _ms(text: str | None, name: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise UnreadableFactsError(f"{name} is not epoch milliseconds: {text[:32]!r}")
    return int(text)


def incident_facts(ref: str, values: list[str | None]) -> IncidentFacts | None:
    """The facts of `FACT_FIELDS`' values as HMGET gave them; None for a hash that is not
    there (a ref the directory names before its incident is written, or after it is purged);
    UnreadableFactsError for one that does not read."""
    area, grade, status, received, dispatched, on_scene = values
    if area is None and status is None and received is None:
        return None
    if not area or not status:
        raise UnreadableFactsError("area or status missing")
    received_ms = _ms(received, "received_ms")
    if received_ms is None:
        raise UnreadableFactsError("received_ms missing")
    return IncidentFacts(
        ref=ref, area=area, grade=grade or None, status=status, received_ms=received_ms,
        dispatched_ms=_ms(dispatched, "dispatched_ms"), on_scene_ms=_ms(on_scene, "on_scene_ms"),
    )  # fmt: skip
