"""`grade_incident.lua`: an open incident graded or re-graded; a waiting one moves to its new
place in the queue."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.events import Grade
from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("grade_incident")


class Grading(NamedTuple):
    """`ok` with the previous grade ('' for none) and the status; `rejected` with the status and
    the reason; `missing` (no such incident): nothing changed."""

    outcome: Literal["ok", "rejected", "missing"]
    previous: str
    status: str
    reason: str


async def grade_incident(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    grade: Grade,
    suggested: Grade,
    reason: str,
    thrive_json: str,
    pending_score: int,
    now_ms: int,
    actor: str,
    attended_outside: bool = False,
) -> Grading:
    """Set the grade (with the suggested one, the reason and the THRIVE assessment, JSON); a
    pending incident takes `pending_score` in the queue. `attended_outside`: Met units attend
    this grade in another force's area, so an incident held for transfer goes to the queue."""
    keys = AreaKeys(area)
    outcome, first, second = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.pending, keys.audit, keys.transfer],
        [
            ref, grade.value, suggested.value, reason, actor, now_ms, pending_score, thrive_json,
            "1" if attended_outside else "",
        ],
    )  # fmt: skip
    if outcome == "rejected":
        return Grading(outcome, "", str(first), str(second))
    return Grading(outcome, str(first), str(second), "")
