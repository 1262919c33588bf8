"""An incident's grade history and THRIVE assessment, read back for the call handler: the grade
the call came with, every grading since (THRIVE's suggestion, overrides and their reasons) and
the grades a type correction suggested. Pure: it reads the chronology and the stored fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ValidationError

from cad.events import Grade
from callhandling.grading import Thrive


class GradeChange(BaseModel):
    """One step of the grade history. `call`: the grade the call came with; `graded`: a
    grading (THRIVE's suggestion beside it); `type_corrected`: the new type's default grade
    suggested, the grade left as it was."""

    kind: Literal["call", "graded", "type_corrected"]
    grade: Grade | None
    previous: Grade | None = None
    suggested: Grade | None = None
    reason: str = ""
    actor: str = ""
    ts_ms: int | None = None


def grade_history(
    chronology: Sequence[dict[str, str]], *, current: Grade | None
) -> list[GradeChange]:
    """The grade history in a chronology (oldest first), given the grade as it stands now."""
    steps: list[GradeChange] = []
    for entry in chronology:
        kind = entry.get("type")
        if kind == "incident_graded":
            steps.append(GradeChange(
                kind="graded", grade=_grade(entry.get("grade")),
                previous=_grade(entry.get("previous")), suggested=_grade(entry.get("suggested")),
                reason=entry.get("reason", ""), actor=entry.get("actor", ""),
                ts_ms=_ms(entry.get("ts_ms")),
            ))  # fmt: skip
        elif kind == "type_corrected":
            steps.append(GradeChange(
                kind="type_corrected", grade=_grade(entry.get("grade")),
                suggested=_grade(entry.get("suggested")), reason=entry.get("reason", ""),
                actor=entry.get("actor", ""), ts_ms=_ms(entry.get("ts_ms")),
            ))  # fmt: skip
    graded = [s for s in steps if s.kind == "graded"]
    # Gradings alone change the grade: before the first, it was the call's own.
    first = graded[0].previous if graded else current
    created = next((e for e in chronology if e.get("type") == "incident_created"), None)
    if first is not None and created is not None:
        call = GradeChange(kind="call", grade=first, actor=created.get("actor", ""),
                           ts_ms=_ms(created.get("ts_ms")))  # fmt: skip
        steps.insert(0, call)
    return steps


def stored_thrive(raw: str | None) -> Thrive | None:
    """The THRIVE assessment an incident's hash keeps (JSON), or None if it was never graded
    with one (or what is kept does not parse: the history still shows every grading)."""
    if not raw:
        return None
    try:
        return Thrive.model_validate_json(raw)
    except ValidationError:
        return None


def _grade(value: str | None) -> Grade | None:
    return next((g for g in Grade if g.value == value), None)


def _ms(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
