"""`incident_move_undo.lua`: a move's copy (step 2) taken away again when step 3 refused."""

from __future__ import annotations

from collections.abc import Sequence

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("incident_move_undo")


async def incident_move_undo(
    scripts: CallScripts, *, area: str, ref: str, call_ids: Sequence[str]
) -> bool:
    """Remove the copy of incident `ref` in `area` if it is still an unlisted copy; whether it
    was."""
    keys = AreaKeys(area)
    (outcome,) = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.incident_calls(ref), *(keys.call(c) for c in call_ids)],
        [],
    )
    return bool(outcome == "ok")
