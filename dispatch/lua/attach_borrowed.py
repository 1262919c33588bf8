"""`attach_borrowed.lua`: cross-BCU dispatch, step 2, in the borrowing area: the lent units
attached to the incident, if it still waits for units."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts
from transport.scripts import Arg

SCRIPT = dispatch_script("attach_borrowed")


class Attachment(NamedTuple):
    """`attached`, or `rejected` (the incident is final or has units) / `missing` (no such
    incident) with the reason: then nothing changed."""

    outcome: Literal["attached", "rejected", "missing"]
    reason: str


async def attach_borrowed(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    loans: Sequence[tuple[str, str, str]],
    now_ms: int,
    actor: str,
) -> Attachment:
    """Attach the `loans` (callsign, tasking id, lending area) to incident `ref` of `area`."""
    keys = AreaKeys(area)
    triples: list[Arg] = [v for loan in loans for v in loan]
    outcome, first, _ = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.pending, keys.audit],
        [ref, now_ms, actor, len(loans), *triples],
    )
    if outcome == "missing":
        return Attachment("missing", f"no incident {ref}")
    return Attachment(outcome, "" if outcome == "attached" else str(first))
