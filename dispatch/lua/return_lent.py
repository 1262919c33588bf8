"""`return_lent.lua`: cross-BCU dispatch, compensation, in the lending area: units lent under
taskings whose step 2 was refused are given back."""

from __future__ import annotations

from collections.abc import Sequence

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts
from transport.scripts import Arg

SCRIPT = dispatch_script("return_lent")


async def return_lent(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    taskings: Sequence[tuple[str, str]],
    reason: str,
    now_ms: int,
    actor: str,
) -> tuple[str, ...]:
    """Release each unit of `taskings` (callsign, tasking id) still committed to `ref` under that
    tasking, back to available; the callsigns released (the reason is audited)."""
    keys = AreaKeys(area)
    pairs: list[Arg] = [v for pair in taskings for v in pair]
    released = await scripts.run(
        SCRIPT,
        [
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_since, keys.unit_by, keys.positions, keys.audit,
        ],
        [ref, now_ms, actor, reason, len(taskings), *pairs],
    )  # fmt: skip
    return tuple(c for c in str(released).split(",") if c)
