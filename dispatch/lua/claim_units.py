"""`claim_units.lua`: exactly the named units for an incident, all or none; a dispatcher's choice,
or a pre-emption taking units from lower-grade incidents not yet on scene."""

from __future__ import annotations

from collections.abc import Sequence

from cad.keys import AreaKeys
from dispatch.claims import ClaimOutcome, ClaimResult, NamedPick, new_tasking_id
from dispatch.lua import dispatch_script
from dispatch.lua.claim_plan import claimed_units
from dispatch.scripts import DispatchScripts
from transport.scripts import Arg

SCRIPT = dispatch_script("claim_units")


async def claim_units(
    scripts: DispatchScripts,
    *,
    area: str,
    ref: str,
    picks: Sequence[NamedPick],
    now_ms: int,
    actor: str,
    reason: str,
) -> ClaimResult:
    """Claim the picks for the incident, each under a new tasking id, appended to the units it
    lists; the reason is audited. Refused as a whole, naming the first unit that cannot go."""
    keys = AreaKeys(area)
    taskings = [new_tasking_id() for _ in picks]
    # The hash each unit is taken from: its incident, or the target again for a free unit.
    from_keys = [keys.incident(p.from_ref or ref) for p in picks]
    triples: list[Arg] = [
        v for p, t in zip(picks, taskings, strict=True) for v in (p.callsign, t, p.from_ref or "")
    ]
    outcome, first, second, _ = await scripts.run(
        SCRIPT,
        [
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_since, keys.unit_by, keys.incident(ref), keys.pending, keys.audit,
            *from_keys,
        ],
        [ref, now_ms, actor, reason, len(picks), *triples],
    )  # fmt: skip
    if outcome == ClaimOutcome.REJECTED:
        return ClaimResult(ClaimOutcome.REJECTED, reason=f"{first}: {second}" if first else second)
    if outcome == ClaimOutcome.MISSING:
        return ClaimResult(ClaimOutcome.MISSING, reason=f"no incident {ref}")
    return ClaimResult(ClaimOutcome.CLAIMED, claimed_units(first, "", second))
