"""`create_incident.lua`: an incident opened for a call, once, unless an incident opened nearby
since the call looked for duplicates (the creation fence)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from cad.keys import AreaKeys
from callhandling.incidents import Outcome
from callhandling.lua import call_script
from transport.scripts import Batch, Queued, hash_reply

SCRIPT = call_script("create_incident")
_OUTCOMES = {1: Outcome.CREATED, 0: Outcome.REPLAYED, 2: Outcome.RETRY}


class Creation(NamedTuple):
    """CREATED with the new incident's hash as stored; REPLAYED: the call was recorded already,
    `ref` is its incident; RETRY: an incident opened nearby meanwhile, nothing changed."""

    outcome: Outcome
    ref: str
    fields: dict[str, str]


def queue_create_incident(
    batch: Batch,
    *,
    area: str,
    ref: str,
    call_id: str,
    incident: Mapping[str, str],
    call: Mapping[str, str],
    lon: float,
    lat: float,
    received_ms: int,
    fence: str,
    fence_cells: Sequence[str],
    now_ms: int,
    actor: str,
    keep_call_s: int,
) -> Queued[Creation]:
    """Open incident `ref` with `incident`'s fields for call `call_id`, recorded with `call`'s
    fields (kept `keep_call_s`), if the fence of the first of `fence_cells` still reads `fence`
    ('' to open regardless); the fences of all the cells are bumped. It guards its batch: what
    follows it is about the incident it opens."""
    keys = AreaKeys(area)
    return batch.script(
        SCRIPT,
        [
            keys.call(call_id), keys.incident(ref), keys.audit, keys.open_incidents,
            keys.incident_calls(ref), *(keys.creation_fence(c) for c in fence_cells),
        ],
        [
            ref, now_ms, actor, fence, lon, lat, received_ms,
            json.dumps(incident, ensure_ascii=False), json.dumps(call, ensure_ascii=False),
            keep_call_s,
        ],
        _read,
        guard=True,
    )  # fmt: skip


def _read(reply: Any) -> Creation:
    code, ref, *created = reply
    return Creation(_OUTCOMES[int(code)], str(ref), hash_reply(created[0]) if created else {})
