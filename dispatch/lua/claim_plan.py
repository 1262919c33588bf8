"""`claim_plan.lua`: the nearest suitable available units for every requirement of an incident's
response plan, all or none; else the incident waits in the queue."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cad.incident_types import Requirement
from cad.keys import AreaKeys
from dispatch.claims import ClaimedUnit, ClaimOutcome, ClaimResult, PlannedClaim
from dispatch.lua import dispatch_script
from dispatch.scripts import DispatchScripts
from transport.scripts import Arg, Batch, Queued, hash_reply

SCRIPT = dispatch_script("claim_plan")


async def claim_plan(scripts: DispatchScripts, claim: PlannedClaim) -> ClaimResult:
    """Run the claim alone: the units for the whole plan, or the incident queued."""
    return read_claim(await scripts.run(SCRIPT, *_keys_and_args(claim)))


def queue_claim_plan(batch: Batch, claim: PlannedClaim) -> Queued[ClaimResult]:
    """The claim among other commands of one round trip (a new incident's opening claim rides
    on the pipeline that creates it)."""
    return batch.script(SCRIPT, *_keys_and_args(claim), read_claim)


def read_claim(reply: Any) -> ClaimResult:
    """What the script answered: the outcome, the units in plan order (now, or already before),
    and the incident's hash as the claim left it."""
    outcome, callsigns, distances, tasking_ids, fields = reply
    return ClaimResult(
        ClaimOutcome(outcome),
        claimed_units(callsigns, distances, tasking_ids),
        incident_fields=hash_reply(fields),
    )


def claimed_units(callsigns: str, distances: str, tasking_ids: str) -> tuple[ClaimedUnit, ...]:
    """Units from a claim script's comma-separated lists ('' distances: not measured)."""
    if not callsigns:
        return ()
    names = callsigns.split(",")
    dists: list[float | None] = (
        [float(d) for d in distances.split(",")] if distances else [None] * len(names)
    )
    return tuple(map(ClaimedUnit._make, zip(names, tasking_ids.split(","), dists, strict=True)))


def _keys_and_args(claim: PlannedClaim) -> tuple[list[str], list[Arg]]:
    frame = _frame(claim.area, claim.plan)
    keys = [*frame.unit_keys, frame.keys.incident(claim.ref), *frame.queue_keys]
    args: list[Arg] = [
        claim.lon, claim.lat, _radii_arg(claim.radii_m), claim.ref, claim.now_ms, claim.actor,
        claim.pending_score, claim.min_fix_ms, *frame.shape, *claim.tasking_ids,
    ]  # fmt: skip
    return keys, args


class _Frame:
    """What every claim of one plan in one area sends alike: built once, not per call."""

    __slots__ = ("keys", "queue_keys", "shape", "unit_keys")

    def __init__(self, area: str, plan: tuple[Requirement, ...]) -> None:
        keys = AreaKeys(area)
        self.keys = keys
        # KEYS[1..7], then the incident's hash (KEYS[8]), then these: see the script's header.
        self.unit_keys = (
            keys.available, keys.unit_status, keys.unit_incident, keys.unit_tasking,
            keys.unit_fix, keys.unit_since, keys.unit_by,
        )  # fmt: skip
        self.queue_keys = (
            keys.pending,
            keys.audit,
            *(keys.capability(c) for r in plan for c in r.capabilities),
        )
        self.shape = (len(plan), *(v for r in plan for v in (r.count, len(r.capabilities))))


@lru_cache(maxsize=4096)
def _frame(area: str, plan: tuple[Requirement, ...]) -> _Frame:
    return _Frame(area, plan)


@lru_cache(maxsize=64)
def _radii_arg(radii_m: tuple[int, ...]) -> str:
    return ",".join(str(r) for r in radii_m)
