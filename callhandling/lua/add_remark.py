"""`add_remark.lua`: a remark on an incident's log, kept as an audit entry of its area."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("add_remark")


class Remark(NamedTuple):
    """`ok` with the audit entry's stream id; `missing` (no such incident in the area); `live`
    (asked as archived, the incident is in Redis)."""

    outcome: Literal["ok", "missing", "live"]
    entry_id: str


async def add_remark(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    text: str,
    now_ms: int,
    actor: str,
    archived: bool = False,
) -> Remark:
    """Append `text` by `actor` to incident `ref`'s log, if the incident is in `area` (or, when
    `archived`, if Redis no longer holds it: the history store does)."""
    keys = AreaKeys(area)
    outcome, entry_id = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.audit],
        [ref, text, now_ms, actor, "archived" if archived else "live"],
    )
    return Remark(outcome, str(entry_id))
