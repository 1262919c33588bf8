"""`lend_units.lua`: cross-BCU dispatch, step 1, in the lending area: its available units
committed to another area's incident, all or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts
from transport.scripts import Arg

SCRIPT = dispatch_script("lend_units")


class Lending(NamedTuple):
    """Whether the units were lent; if not, the first that could not be and why."""

    lent: bool
    refused: str
    reason: str


async def lend_units(
    scripts: DispatchScripts,
    *,
    area: str,
    to_area: str,
    ref: str,
    taskings: Sequence[tuple[str, str]],
    now_ms: int,
    actor: str,
) -> Lending:
    """Commit the units of `area` named in `taskings` (callsign, tasking id) to incident `ref`
    of `to_area`, each under its tasking, if every one of them is still available."""
    keys = AreaKeys(area)
    pairs: list[Arg] = [v for pair in taskings for v in pair]
    outcome, first, reason = await scripts.run(
        SCRIPT,
        [
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_since, keys.unit_by, keys.audit,
        ],
        [to_area, ref, now_ms, actor, len(taskings), *pairs],
    )  # fmt: skip
    if outcome == "lent":
        return Lending(True, "", "")
    return Lending(False, str(first), str(reason))
