"""`link_call.lua`: a call linked to an open incident: never a second incident, never a second
dispatch."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from cad.keys import AreaKeys
from callhandling.incidents import Outcome
from callhandling.lua import call_script
from transport.scripts import Batch, Queued, hash_reply

SCRIPT = call_script("link_call")
_OUTCOMES = {1: Outcome.LINKED, 0: Outcome.REPLAYED, -1: Outcome.RETRY}


class Linking(NamedTuple):
    """LINKED with the incident's hash after the link; REPLAYED: the call was recorded already,
    `ref` is its incident; RETRY: the incident is not open any more (`status` says what it is:
    `missing` for none), nothing changed."""

    outcome: Outcome
    ref: str
    fields: dict[str, str]
    status: str = ""


def queue_link_call(
    batch: Batch,
    *,
    area: str,
    ref: str,
    call_id: str,
    call: Mapping[str, str],
    score: float,
    reasons: str,
    received_ms: int,
    cli_hash: str | None,
    now_ms: int,
    actor: str,
    keep_call_s: int,
) -> Queued[Linking]:
    """Record call `call_id` (its `call` fields, kept `keep_call_s`) on open incident `ref`,
    with the duplicate score and its reasons; the caller's hashed number joins the incident's."""
    keys = AreaKeys(area)
    return batch.script(
        SCRIPT,
        [keys.call(call_id), keys.incident(ref), keys.incident_calls(ref), keys.audit],
        [
            ref, now_ms, actor, score, reasons, received_ms, cli_hash or "", keep_call_s,
            json.dumps(call, ensure_ascii=False),
        ],
        lambda reply: _read(ref, reply),
        guard=True,
    )  # fmt: skip


def _read(ref: str, reply: Any) -> Linking:
    code, detail, *linked = reply
    outcome = _OUTCOMES[int(code)]
    if outcome is Outcome.RETRY:
        return Linking(outcome, ref, {}, str(detail))
    return Linking(outcome, str(detail), hash_reply(linked[0]) if linked else {})
