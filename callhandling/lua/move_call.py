"""`move_call.lua`: a call moved to another open incident of its area (a handler's link); the
incident it leaves, if that was its only call and nothing was sent to it, is cancelled."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("move_call")


class Move(NamedTuple):
    """`ok` with what happened (`moved`, `moved_and_cancelled`, `already`), or `rejected` /
    `missing` (the target or the source incident does not exist) with the reason."""

    outcome: Literal["ok", "rejected", "missing"]
    detail: str


async def move_call(
    scripts: CallScripts,
    *,
    area: str,
    call_id: str,
    target_ref: str,
    source_ref: str,
    now_ms: int,
    actor: str,
) -> Move:
    """Move call `call_id` from `source_ref` (as the caller read it) to `target_ref`."""
    keys = AreaKeys(area)
    outcome, detail = await scripts.run(
        SCRIPT,
        [
            keys.call(call_id), keys.incident(target_ref), keys.incident_calls(target_ref),
            keys.incident(source_ref), keys.incident_calls(source_ref), keys.pending,
            keys.open_incidents, keys.audit,
        ],
        [call_id, target_ref, source_ref, now_ms, actor],
    )  # fmt: skip
    return Move(outcome, str(detail))
