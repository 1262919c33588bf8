"""`ack_alarm.lua`: a supervisor acknowledges a raised alarm, named in the alarm audit."""

from __future__ import annotations

from typing import Literal, NamedTuple

from cad.keys import AlarmKeys
from service.alarms.lua import AUDIT_MAXLEN, alarm_script
from transport.scripts import ScriptClient, hash_reply

SCRIPT = alarm_script("ack_alarm")


class AckAnswer(NamedTuple):
    """`acknowledged` now, `already` before, `cleared` (its condition ended) or `missing`; the
    alarm's stored fields but for `missing`."""

    outcome: Literal["acknowledged", "already", "cleared", "missing"]
    fields: dict[str, str]


async def ack_alarm(
    scripts: ScriptClient, *, alarm_id: str, now_ms: int, actor: str, note: str | None
) -> AckAnswer:
    """Acknowledge the alarm `alarm_id` as `actor`, with an optional note."""
    keys = AlarmKeys()
    outcome, *flat = await scripts.run(
        SCRIPT, [keys.alarm(alarm_id), keys.audit],
        [alarm_id, now_ms, actor, note or "", AUDIT_MAXLEN],
    )  # fmt: skip
    return AckAnswer(outcome, hash_reply(flat))
