"""`amend_result.lua`: a closed incident's result amended within the amendment window."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AreaKeys
from callhandling.lua import call_script
from callhandling.scripts import CallScripts

SCRIPT = call_script("amend_result")


class Amendment(NamedTuple):
    """`ok` with the previous result code; `rejected` with the reason; `missing` (no such
    incident), `live` (asked as archived, the incident is in Redis): nothing changed."""

    outcome: Literal["ok", "rejected", "missing", "live"]
    detail: str


class ArchivedClose(NamedTuple):
    """How an archived incident ended, as its record in the history store says."""

    status: str
    closed_ms: int
    code: str


async def amend_result(
    scripts: CallScripts,
    *,
    area: str,
    ref: str,
    code: str,
    category: str,
    reason: str,
    closed_since_ms: int,
    now_ms: int,
    actor: str,
    archived: ArchivedClose | None = None,
) -> Amendment:
    """Set the result of closed incident `ref` to `code` (of `category`), if it closed at or
    after `closed_since_ms`; audited with the old code and the reason. An `archived` incident
    is judged by its stored close, and only the audit entry is written (the archiver applies
    it to the history store)."""
    keys = AreaKeys(area)
    where = ["live"] if archived is None else ["archived", *archived]
    outcome, detail = await scripts.run(
        SCRIPT,
        [keys.incident(ref), keys.audit],
        [ref, code, category, reason, now_ms, actor, closed_since_ms, *where],
    )
    return Amendment(outcome, str(detail))
