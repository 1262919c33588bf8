"""Calls and incidents in Redis: a call opens an incident once, or is linked to an open one."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import NoScriptError

from cad.events import CallEvent
from cad.incident_record import IncidentRecord, new_incident_fields
from cad.keys import AreaKeys, GlobalKeys
from cad.unreadable import log_unreadable, unreadable_record
from callhandling.call_claims import CallClaim
from callhandling.duplicates import Candidate, OpenIncident
from callhandling.lifecycle import OPEN
from callhandling.refs import format_ref, london_day
from dispatch.scripts import (
    DispatchScripts,
    hash_answer,
    queue_script,
    raise_errors,
    run_pipeline,
)

# A day's sequence counter outlives the day by a margin, then goes.
_SEQUENCE_TTL_S = 3 * 24 * 3600
# Map cells for the creation fence: about 1.4 km by 1.5 km in London.
_CELL_LON, _CELL_LAT = 0.02, 0.0135


class Outcome(StrEnum):
    """What recording a call did."""

    CREATED = "created"
    LINKED = "linked"
    REPLAYED = "replayed"
    RETRY = "retry"


@dataclass(frozen=True)
class Recorded:
    """The incident a call now belongs to, and how it came to."""

    outcome: Outcome
    ref: str
    # The incident's hash as the script left it, when the script returned it (a new incident).
    fields: dict[str, str] | None = None
    # The answer to what `create_incident`'s `follow` queued, if it ran.
    followed: Any = None
    # The open incidents of `create_incident`'s `near_refs`, as they were just before it.
    nearby: tuple[OpenIncident, ...] = ()


def cli_hash(cli: str | None, salt: str) -> str | None:
    """A salted hash of the caller's number: enough to match repeat callers, not to dial them."""
    digits = "".join(c for c in cli or "" if c.isdigit())
    if not digits:
        return None
    return hashlib.sha256(f"{salt}:{digits[-10:]}".encode()).hexdigest()[:16]


def fence_cells(lon: float, lat: float) -> list[str]:
    """The call's map cell first, then its eight neighbours."""
    x, y = math.floor(lon / _CELL_LON), math.floor(lat / _CELL_LAT)
    return [f"{x + dx}:{y + dy}" for dx, dy in [(0, 0), *_AROUND]]


_AROUND = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)]


def call_fields(event: CallEvent, hashed_cli: str | None, *, recorded_ms: int) -> dict[str, str]:
    """The call record kept for the contact (caller data expires with the record)."""
    loc = event.location
    return {
        "call_id": event.call_id,
        "source": event.source.value,
        # The client's clock, bounded at the edge (cad/clock_bounds.py): the call's clocks and
        # queue place run from it. Beside it, the service's own: when the call was recorded.
        "received_ms": str(int(event.received_at.timestamp() * 1000)),
        "recorded_ms": str(recorded_ms),
        "lon": repr(loc.lon),
        "lat": repr(loc.lat),
        "radius_m": "" if loc.radius_m is None else repr(loc.radius_m),
        "incident_type": event.incident_type or "",
        "cli": event.cli or "",
        "cli_hash": hashed_cli or "",
        "text": event.text or "",
    }


async def next_ref(redis: Redis, now: datetime) -> str:
    """Allocate the next incident reference of the London day."""
    day = london_day(now)
    async with redis.pipeline(transaction=False) as pipe:
        _queue_next_ref(pipe, day)
        sequence, _ = await pipe.execute()
    return format_ref(int(sequence), day)


def _queue_next_ref(pipe: Pipeline, day: date) -> None:
    """Queue the day's INCR (its answer is the sequence number) and the counter's expiry."""
    key = GlobalKeys().ref_sequence(day.strftime("%Y%m%d"))
    pipe.incr(key)
    # The day's counter goes with the day (plus a margin); NX: set once, by its first INCR.
    pipe.expire(key, _SEQUENCE_TTL_S, nx=True)


async def create_incident(
    redis: Redis,
    scripts: DispatchScripts,
    event: CallEvent,
    *,
    area: str,
    now: datetime,
    actor: str,
    fence: str,
    hashed_cli: str | None,
    retention_s: int,
    follow: Callable[[IncidentRecord, Pipeline], None] | None = None,
    ref: str | None = None,
    near_refs: Sequence[str] = (),
) -> Recorded:
    """Open an incident for the call, unless it was recorded already or the fence moved. In the
    same round trip, `follow` may queue one command more about the incident as it will be (the
    dispatch's opening claim); its answer comes back in `Recorded.followed`, and the open
    incidents of `near_refs` are read, as they were before it, into `Recorded.nearby`. `ref` is
    one allocated already for this call (`look_around`'s), else the next of the day is taken."""
    keys = AreaKeys(area)
    ref = ref or await next_ref(redis, now)
    incident = {**new_incident_fields(event, area=area), "cli_hashes": hashed_cli or ""}
    now_ms = int(now.timestamp() * 1000)
    loc = event.location
    fences = [keys.creation_fence(c) for c in fence_cells(loc.lon, loc.lat)]
    glob = GlobalKeys()

    def queue(pipe: Pipeline) -> None:
        if near_refs:
            _queue_facts(pipe, scripts, keys, near_refs)
        # The directory entries go first so that no incident exists that a lookup cannot find.
        pipe.hset(glob.incident_area, ref, area)
        pipe.sadd(glob.areas, area)
        queue_script(
            pipe, scripts.create_incident,
            keys=[
                keys.call(event.call_id), keys.incident(ref), keys.audit, keys.open_incidents,
                keys.incident_calls(ref), *fences,
            ],
            args=[
                ref, now_ms, actor, fence, loc.lon, loc.lat,
                incident["received_ms"], json.dumps(incident, ensure_ascii=False),
                json.dumps(call_fields(event, hashed_cli, recorded_ms=now_ms), ensure_ascii=False),
                retention_s,
            ],
        )  # fmt: skip
        if follow is not None:
            follow(
                IncidentRecord.from_hash({**incident, "ref": ref, "created_ms": str(now_ms)}), pipe
            )

    first = 1 if near_refs else 0  # where the creation's own answers begin
    answers = await run_pipeline(redis, scripts, queue, retry_if_unknown=first + 2)
    raise_errors(answers[: first + 3])
    answer = answers[first + 2]
    code, actual = int(answer[0]), answer[1]
    if code != 1:
        # The ref allocated here names nothing: unlist it (it costs a gap in the sequence). What
        # `follow` queued found no incident of that ref, so it did nothing.
        await redis.hdel(glob.incident_area, ref)
        return Recorded({0: Outcome.REPLAYED, 2: Outcome.RETRY}[code], actual)
    followed = answers[first + 3] if follow is not None else None
    if isinstance(followed, NoScriptError):
        followed = None  # it never ran: the caller runs it again (now that the scripts are loaded)
    raise_errors([followed])
    nearby = tuple(_open_incidents_of(area, answers[0])) if near_refs else ()
    return Recorded(Outcome.CREATED, actual, hash_answer(answer[2]), followed, nearby)


async def link_call(
    redis: Redis,
    scripts: DispatchScripts,
    event: CallEvent,
    *,
    area: str,
    candidate: Candidate,
    now: datetime,
    actor: str,
    hashed_cli: str | None,
    retention_s: int,
) -> Recorded:
    """Link the call to an open incident; RETRY when that incident closed meanwhile."""
    keys = AreaKeys(area)
    now_ms = int(now.timestamp() * 1000)
    fields = call_fields(event, hashed_cli, recorded_ms=now_ms)

    def queue(pipe: Pipeline) -> None:
        queue_script(
            pipe, scripts.link_call,
            keys=[keys.call(event.call_id), keys.incident(candidate.ref),
                  keys.incident_calls(candidate.ref), keys.audit],
            args=[
                candidate.ref, now_ms, actor, candidate.score,
                "; ".join(candidate.reasons), fields["received_ms"], hashed_cli or "",
                retention_s, *_flatten(fields),
            ],
        )  # fmt: skip

    answers = await run_pipeline(redis, scripts, queue, retry_if_unknown=0)
    raise_errors(answers)
    code, detail = answers[0]
    outcome = {1: Outcome.LINKED, 0: Outcome.REPLAYED, -1: Outcome.RETRY}[int(code)]
    return Recorded(outcome, candidate.ref if outcome is Outcome.RETRY else detail)


@dataclass(frozen=True)
class Surroundings:
    """What a call finds before it is recorded: the claim of its call id made before it, its own
    record, its cell's fence, and the open incidents near it as stored."""

    # The claim a copy of this call id made before (in any area); None: this one claimed it.
    first_claim: CallClaim | None
    known_ref: str | None
    fence: str
    incidents: list[OpenIncident]
    # With `look_around`'s `reserve_ref`: the reference allocated for the call (a replay leaves
    # it unused, a gap in the sequence), and the refs of the open incidents near it, whose facts
    # `create_incident` reads (`near_refs`).
    reserved_ref: str | None = None
    near_refs: tuple[str, ...] = ()


async def look_around(
    redis: Redis,
    scripts: DispatchScripts,
    *,
    area: str,
    call_id: str,
    lon: float,
    lat: float,
    radius_m: float,
    claim: CallClaim,
    retention_s: int,
    reserve_ref: datetime | None = None,
) -> Surroundings:
    """Claim the call id for the force unless a copy claimed it before (that claim is answered),
    then the call's incident if it was recorded already, else the fence (read before the search)
    and the open incidents of the area within `radius_m`: one round trip, two with incidents.
    With `reserve_ref`, for a call that opens an incident whatever it finds, the round trip also
    allocates that day's next reference and the incidents are left for the creation to read."""
    keys = AreaKeys(area)
    day = None if reserve_ref is None else london_day(reserve_ref)
    async with redis.pipeline(transaction=False) as pipe:
        # SET NX GET is atomic: of copies racing in any areas, on any replicas, one claims the
        # id and the others read its claim. It expires with the call record it stands for.
        pipe.set(GlobalKeys().call_id(call_id), claim.encode(), nx=True, get=True, ex=retention_s)
        pipe.hget(keys.call(call_id), "incident_ref")
        pipe.get(keys.creation_fence(fence_cells(lon, lat)[0]))
        pipe.geosearch(
            keys.open_incidents, longitude=lon, latitude=lat, radius=radius_m, unit="m",
            sort="ASC", count=50,
        )  # fmt: skip
        if day is not None:
            _queue_next_ref(pipe, day)
        answers = await pipe.execute()
    stored, known, fence, refs = answers[:4]
    first = None if stored is None else CallClaim.decode(stored)
    reserved = None if day is None else format_ref(int(answers[4]), day)
    # Another call under this id, or this one located in another area: the area's own search
    # means nothing to it.
    if known is not None or (first is not None and first != claim):
        return Surroundings(first, None if known is None else str(known), "", [], reserved)
    if day is not None or not refs:
        return Surroundings(first, None, str(fence or "0"), [], reserved, tuple(refs))

    def queue(pipe: Pipeline) -> None:
        _queue_facts(pipe, scripts, keys, refs)

    answers = await run_pipeline(redis, scripts, queue, retry_if_unknown=0)
    raise_errors(answers)
    return Surroundings(first, None, str(fence or "0"), _open_incidents_of(area, answers[0]))


_OPEN_STATUSES = ",".join(sorted(OPEN))


def _queue_facts(
    pipe: Pipeline, scripts: DispatchScripts, keys: AreaKeys, refs: Sequence[str]
) -> None:
    """Queue `open_incident_facts` for the incidents of `refs`."""
    queue_script(
        pipe, scripts.open_incident_facts,
        keys=[keys.open_incidents, *(keys.incident(ref) for ref in refs)],
        args=[_OPEN_STATUSES, *refs],
    )  # fmt: skip


def _open_incidents_of(area: str, flat: Sequence[str]) -> list[OpenIncident]:
    """`open_incident_facts`'s answer, seven entries an incident, as duplicate scoring takes it;
    an incident whose facts do not parse is left out (and logged): the call goes on without it."""
    found = []
    for row in zip(*[iter(flat)] * 7, strict=True):
        try:
            found.append(_open_incident(*row))
        except ValueError as exc:
            log_unreadable(unreadable_record("incident", area, row[0], exc))
    return found


def _open_incident(
    ref: str, lon: str, lat: str, radius_m: str, received_ms: str, kind: str, cli_hashes: str
) -> OpenIncident:
    return OpenIncident(
        ref=ref,
        lon=float(lon),
        lat=float(lat),
        radius_m=float(radius_m) if radius_m else None,
        received_ms=int(received_ms),
        incident_type=kind or None,
        cli_hashes=frozenset(h for h in cli_hashes.split(",") if h),
    )


def _flatten(fields: dict[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]
