"""`save_alert.lua`: a CAP message kept, claiming the earlier message's only successor."""

from __future__ import annotations

from typing import Literal

from cad.keys import InteropKeys
from transport.scripts import ScriptClient, read_script

SCRIPT = read_script("interop", "save_alert")


async def save_alert_message(
    scripts: ScriptClient, *, identifier: str, message_json: str, sent_ms: int, follows: str
) -> Literal["saved", "taken"]:
    """Keep message `identifier`; `follows` is the id of the message it updates or cancels
    ('' for a new alert), `taken` if that one was followed already."""
    keys = InteropKeys()
    outcome: Literal["saved", "taken"] = await scripts.run(
        SCRIPT, [keys.alert_successor, keys.alert(identifier), keys.alerts],
        [identifier, message_json, sent_ms, follows],
    )  # fmt: skip
    return outcome
