"""What becomes of a call, decided from what it found around it: pure, no I/O.

A call whose id was first claimed for a different call is refused; one first claimed in another
area is recorded there; one recorded already is a replay; otherwise it is linked to its best
duplicate candidate (when linking automatically, at or above the score) or opens an incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from callhandling.call_claims import CallClaim, conflict_reason
from callhandling.duplicates import Candidate
from callhandling.surroundings import Surroundings


@dataclass(frozen=True)
class Refuse:
    """A different call under a call id used already: it changes nothing."""

    reason: str
    first: CallClaim


@dataclass(frozen=True)
class Relocate:
    """The same call, first claimed in another area (the boundaries changed since, or the
    caller located it): that area records it."""

    first: CallClaim


@dataclass(frozen=True)
class Replay:
    """The call is recorded already: its incident."""

    ref: str


@dataclass(frozen=True)
class Link:
    """Join the open incident the call is most likely about."""

    candidate: Candidate


@dataclass(frozen=True)
class Create:
    """Open an incident, if the fence still reads `fence` ('' opens regardless)."""

    fence: str


Decision = Refuse | Relocate | Replay | Link | Create


def decide(
    call_id: str,
    claim: CallClaim,
    around: Surroundings,
    candidates: Sequence[Candidate],
    *,
    auto_link: bool,
    link_score: float,
    last: bool,
    may_relocate: bool = True,
) -> Decision:
    """What to do with the call `claim` stands for, given what it found and its duplicate
    candidates (best first). On the `last` attempt it opens an incident regardless: a possible
    duplicate beats a lost call. A call moved to its first claim's area once (`may_relocate`
    False) stays there: the same call, claimed again elsewhere meanwhile, is recorded here."""
    first = around.first_claim
    if first is not None and first != claim:
        reason = conflict_reason(call_id, first, claim)
        if reason is not None:
            return Refuse(reason, first)
        if may_relocate:
            return Relocate(first)
    if around.known_ref is not None:
        return Replay(around.known_ref)
    best = candidates[0] if candidates else None
    if auto_link and not last and best is not None and best.score >= link_score:
        return Link(best)
    return Create("" if last else around.fence)
