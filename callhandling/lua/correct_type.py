"""`correct_type.lua`: an incident's type corrected; the new type's grade only suggested."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.events import Grade
from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("correct_type")


class TypeCorrection(NamedTuple):
    """`ok` with the old type and the grade as it stands ('' for none); `rejected` with the
    status and the reason; `missing` (no such incident): nothing changed."""

    outcome: Literal["ok", "rejected", "missing"]
    status: str = ""
    reason: str = ""
    old_type: str = ""
    grade: str = ""


async def correct_type(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    incident_type: str,
    suggested: Grade,
    reason: str,
    now_ms: int,
    actor: str,
) -> TypeCorrection:
    """Set incident `ref`'s type, recording `suggested` (the type's default grade) beside the
    grade, which stays as it is; audited with the old type and the reason."""
    keys = AreaKeys(area)
    outcome, first, second = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.audit],
        [ref, incident_type, suggested.value, reason, now_ms, actor],
    )
    if outcome == "rejected":
        return TypeCorrection(outcome, status=str(first), reason=str(second))
    return TypeCorrection(outcome, old_type=str(first), grade=str(second))
