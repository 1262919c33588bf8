"""`partner_update.lua`: a partner's status and units on one of our incidents, newest wins."""

from __future__ import annotations

from typing import Literal

from cad.keys import AreaKeys
from transport.scripts import ScriptClient, read_script

SCRIPT = read_script("interop", "partner_update")


async def partner_update(
    scripts: ScriptClient, *, area: str, ref: str, partner: str, reference: str, status: str,
    units: tuple[str, ...], stamp_ms: int, actor: str, now_ms: int,
) -> Literal["applied", "stale", "missing"]:  # fmt: skip
    """Apply the partner's view to incident `ref` in `area` unless one as new was applied."""
    keys = AreaKeys(area)
    outcome, _ = await scripts.run(
        SCRIPT, [keys.incident(ref), keys.audit],
        [ref, partner, reference, status, ",".join(units), stamp_ms, actor, now_ms],
    )  # fmt: skip
    answer: Literal["applied", "stale", "missing"] = outcome
    return answer
