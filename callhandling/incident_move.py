"""Moving an incident to another dispatch area, when its location is corrected into that area:
the incident hash, its calls (with the caller data's expiry kept) and its places in the queue,
the result queue and the open set end up in the new area's keys, and the ref directory points
there. Units already committed stay committed: for the new area they are lent by the old one
(dispatch/mutual_aid.py), so their reports reach the incident as a lent unit's do.

Each area is its own slot, so the move is a saga of one script per step, as mutual aid's lend
and return are:
1. `incident_move_out` (old area): what the incident is there, and its fingerprint. No change.
2. `incident_move_in` (new area): the copy, marked `moving`, in none of that area's lists.
3. `incident_move_commit` (old area): only if the fingerprint is unchanged (no claim, report,
   grading or link meanwhile), the incident leaves the old area's keys and lists, and a
   forwarding key names the new area; otherwise step 2's copy is undone and the move starts
   again from the top (a few times, then 409).
4. `incident_move_index` (new area): the copy joins the new area's lists as it stood in the old
   one's, and the move is audited there (the old area audited it in step 3).
5. The ref directory and the call ids' claims name the new area.
A reader by ref finds it in exactly one place throughout: the old area until step 3, then the
new one (through the forwarding key until step 5). A list of one area never shows it twice:
it leaves the old area's lists in step 3 before joining the new one's in step 4.
"""

from __future__ import annotations

import logging
import time

from cad.errors import ConflictError, NotFoundError
from cad.events import Location
from cad.incident_record import IncidentRecord
from cad.keys import AreaKeys, GlobalKeys
from cad.logs import log
from callhandling.call_claims import CallClaim
from callhandling.incidents import fence_cells
from callhandling.lua.incident_move_commit import incident_move_commit
from callhandling.lua.incident_move_in import incident_move_in
from callhandling.lua.incident_move_index import incident_move_index
from callhandling.lua.incident_move_out import Snapshot, incident_move_out
from callhandling.lua.incident_move_undo import incident_move_undo
from callhandling.scripts import CallScripts
from transport.redis_types import AsyncRedis

logger = logging.getLogger("cad.incidents")

# Each retry means the incident changed in its old area between steps 1 and 3.
_ATTEMPTS = 4
# A reader finds the old area in the directory only between steps 3 and 5 (or after a crash
# there): a day is ample, and the key goes by itself.
FORWARD_S = 24 * 3600


def moved_fields(
    snapshot: Snapshot, *, from_area: str, to_area: str, location: Location
) -> dict[str, str]:
    """The incident's fields as the new area keeps them: its area and place corrected, the units
    still committed in the old area listed as lent from it, and where its earlier chronology is
    (`audit_trail`: `area:first entry id` of each area it was in before, oldest first)."""
    fields = dict(snapshot.incident)
    fields.update(
        area=to_area, lon=repr(location.lon), lat=repr(location.lat),
        radius_m="" if location.radius_m is None else repr(location.radius_m),
    )  # fmt: skip
    borrowed = [c for c in fields.get("borrowed", "").split(",") if c]
    for callsign in snapshot.committed:
        borrowed.append(callsign)
        fields[f"lent_from:{callsign}"] = from_area
    fields["borrowed"] = ",".join(borrowed)
    trail = [t for t in fields.get("audit_trail", "").split(",") if t]
    trail.append(f"{from_area}:{fields.get('audit_from', '-')}")
    fields["audit_trail"] = ",".join(trail)
    return fields


async def move_incident(
    scripts: CallScripts,
    incident: IncidentRecord,
    location: Location,
    reason: str,
    *,
    to_area: str,
    actor: str,
) -> None:
    """Move `incident` to `location` in dispatch area `to_area` (not its own), saying why."""
    redis, ref, from_area = scripts.redis, incident.ref, incident.area
    old = AreaKeys(from_area)
    for _ in range(_ATTEMPTS):
        call_ids = list(await redis.zrange(old.incident_calls(ref), 0, -1))
        out = await incident_move_out(scripts, area=from_area, ref=ref, call_ids=call_ids)
        if out.outcome == "missing":
            raise NotFoundError(f"ref: no incident {ref!r}")
        if out.outcome == "rejected":
            raise ConflictError(f"status: {out.reason}")
        if out.snapshot is None:  # `retry`: its calls changed meanwhile
            continue
        fields = moved_fields(out.snapshot, from_area=from_area, to_area=to_area,
                              location=location)  # fmt: skip
        copied = await incident_move_in(
            scripts, area=to_area, ref=ref, incident=fields, calls=out.snapshot.calls
        )
        if copied.outcome == "exists":
            raise ConflictError(f"ref: {to_area} holds an incident {ref!r} already")
        now_ms = int(time.time() * 1000)
        committed = await incident_move_commit(
            scripts, area=from_area, ref=ref, call_ids=call_ids, to_area=to_area,
            fingerprint=out.fingerprint, old=incident.location, new=location, reason=reason,
            forward_s=FORWARD_S, now_ms=now_ms, actor=actor,
        )  # fmt: skip
        if committed == "changed":
            await incident_move_undo(scripts, area=to_area, ref=ref, call_ids=call_ids)
            continue
        await incident_move_index(
            scripts, area=to_area, ref=ref, pending=out.snapshot.pending,
            awaiting=out.snapshot.awaiting, from_area=from_area, old=incident.location,
            new=location, fence_cells=fence_cells(location.lon, location.lat), reason=reason,
            now_ms=now_ms, actor=actor,
        )  # fmt: skip
        await _redirect(redis, ref, from_area=from_area, to_area=to_area, call_ids=call_ids)
        log(logger, logging.INFO, "incident_moved", incident_ref=ref, from_area=from_area,
            to_area=to_area, actor=actor)  # fmt: skip
        return
    raise ConflictError(f"ref: {ref!r} kept changing while it was moved; try again")


async def _redirect(
    redis: AsyncRedis, ref: str, *, from_area: str, to_area: str, call_ids: list[str]
) -> None:
    """Point the ref directory, and each call id's claim, at the new area: a replayed call is
    then found where its record now is."""
    glob = GlobalKeys()
    # Two global keys, in two slots on a cluster, so no transaction: a reader the directory
    # still sends to the old area meanwhile finds its `moved` marker there.
    async with redis.pipeline(transaction=False) as pipe:
        pipe.sadd(glob.areas, to_area)
        pipe.hset(glob.incident_area, ref, to_area)
        await pipe.execute()
    for call_id in call_ids:
        stored = await redis.get(glob.call_id(call_id))
        if stored is None:
            continue
        claim = CallClaim.decode(stored)
        if claim.area == from_area:
            moved = CallClaim(to_area, claim.fields)
            await redis.set(glob.call_id(call_id), moved.encode(), keepttl=True)
