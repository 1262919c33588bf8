"""`incident_move_commit.lua`: step 3 of moving an incident to another dispatch area; it leaves
its area, if unchanged since step 1, and a forwarding key says where it went."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from cad.events import Location
from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("incident_move_commit")


async def incident_move_commit(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    call_ids: Sequence[str],
    to_area: str,
    fingerprint: str,
    old: Location,
    new: Location,
    reason: str,
    forward_s: int,
    now_ms: int,
    actor: str,
) -> Literal["ok", "changed"]:
    """Take incident `ref` out of `area` for `to_area` if its fingerprint is still
    `fingerprint`; `changed` (nothing done) otherwise."""
    keys = AreaKeys(area)
    (outcome,) = await scripts.run(
        SCRIPT,
        [
            keys.incident(ref), keys.incident_calls(ref), keys.unit_incident, keys.pending,
            keys.awaiting_result, keys.open_incidents, keys.audit, keys.moved(ref),
            *(keys.call(c) for c in call_ids),
        ],
        [
            ref, to_area, fingerprint, reason, now_ms, actor, forward_s, repr(old.lon),
            repr(old.lat), repr(new.lon), repr(new.lat),
        ],
    )  # fmt: skip
    return "ok" if outcome == "ok" else "changed"
