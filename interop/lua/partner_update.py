"""`partner_update.lua`: a partner's status, units and notes on one of our incidents, at once;
newest status wins, each note once."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from interop.eido.reading import PartnerNote
from transport.scripts import ScriptClient, read_script

SCRIPT = read_script("interop", "partner_update")


class PartnerUpdate(NamedTuple):
    """`applied` (the status and units), `stale` (as new or newer applied already) or `missing`
    (no such incident in the area), and how many notes became remarks."""

    outcome: Literal["applied", "stale", "missing"]
    notes_added: int


async def partner_update(
    scripts: ScriptClient, *, area: str, ref: str, partner: str, partner_name: str,
    reference: str, status: str, units: tuple[str, ...], notes: tuple[PartnerNote, ...],
    stamp_ms: int, actor: str, now_ms: int,
) -> PartnerUpdate:  # fmt: skip
    """Apply the partner's view to incident `ref` in `area`."""
    keys = AreaKeys(area)
    outcome, added = await scripts.run(
        SCRIPT, [keys.incident(ref), keys.audit],
        [ref, partner, reference, status, ",".join(units), stamp_ms, actor, now_ms, partner_name,
         *(part for note in notes for part in (note.note_id, note.text))],
    )  # fmt: skip
    return PartnerUpdate(outcome, int(added))
