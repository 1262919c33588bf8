"""`raise_alarm.lua`: raise an alarm unless it is active already (one alarm per condition)."""

from __future__ import annotations

from cad.keys import AlarmKeys
from service.alarms.lua import AUDIT_MAXLEN, alarm_script
from transport.scripts import ScriptClient, hash_reply

SCRIPT = alarm_script("raise_alarm")


async def raise_alarm(
    scripts: ScriptClient, *, alarm_id: str, fields: dict[str, str], now_ms: int
) -> dict[str, str] | None:
    """The alarm's stored fields when it was raised now; None when it was active already."""
    keys = AlarmKeys()
    pairs = [part for item in fields.items() for part in item]
    reply = await scripts.run(
        SCRIPT, [keys.alarm(alarm_id), keys.index, keys.audit],
        [alarm_id, now_ms, AUDIT_MAXLEN, *pairs],
    )  # fmt: skip
    return hash_reply(reply) if reply else None
