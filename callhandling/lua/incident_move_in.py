"""`incident_move_in.lua`: step 2 of moving an incident to another dispatch area, its copy in
the area it joins, in none of that area's lists yet."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.lua.incident_move_out import MovedCall
from callhandling.scripts import CallScripts

SCRIPT = call_script("incident_move_in")


class MoveIn(NamedTuple):
    """`ok`; `exists` with the status of an incident of that ref already in the area."""

    outcome: Literal["ok", "exists"]
    status: str


async def incident_move_in(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    incident: Mapping[str, str],
    calls: Sequence[MovedCall],
) -> MoveIn:
    """Copy incident `ref` (its `incident` fields) and its `calls` into `area`."""
    keys = AreaKeys(area)
    moved = [
        {"id": c.call_id, "score": c.score, "fields": c.fields, "pttl_ms": c.pttl_ms} for c in calls
    ]
    outcome, status = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.incident_calls(ref), keys.unit_incident,
            *(keys.call(c.call_id) for c in calls),
        ],
        [ref, json.dumps(incident, ensure_ascii=False), json.dumps(moved, ensure_ascii=False)],
    )  # fmt: skip
    return MoveIn(outcome, str(status))
