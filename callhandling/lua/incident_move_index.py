"""`incident_move_index.lua`: step 4 of moving an incident to another dispatch area; its copy
joins that area's lists as it stood in the other's, and the move is audited there."""

from __future__ import annotations

from collections.abc import Sequence

from cad.events import Location
from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("incident_move_index")


async def incident_move_index(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    pending: str,
    awaiting: str,
    from_area: str,
    old: Location,
    new: Location,
    fence_cells: Sequence[str],
    reason: str,
    now_ms: int,
    actor: str,
) -> bool:
    """List incident `ref` in `area`: in the queue at score `pending` and in the result queue at
    `awaiting` ('' for neither), in the open set if open; whether it was there to list."""
    keys = AreaKeys(area)
    outcome, _ = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.pending, keys.awaiting_result, keys.open_incidents,
            keys.audit, *(keys.creation_fence(c) for c in fence_cells),
        ],
        [
            ref, pending, awaiting, from_area, reason, now_ms, actor, repr(old.lon),
            repr(old.lat), repr(new.lon), repr(new.lat),
        ],
    )  # fmt: skip
    return bool(outcome == "ok")
