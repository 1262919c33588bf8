"""Handling an MQTT message until its effect is durable or it is dead-lettered with the reason.

The link acknowledges a message only when its handler returns (transport/mqtt.py): so a handler that
cannot finish raises, and the broker sends the message again, never losing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from cad.errors import CadError
from cad.outages import outage_of

logger = logging.getLogger("cad.durable")

_FIRST_DELAY_S = 0.05
_MAX_DELAY_S = 2.0


async def until_settled(
    work: Callable[[], Awaitable[None]],
    *,
    give_up: Callable[[str], Awaitable[None]],
    give_up_after_s: float,
    context: dict[str, str],
) -> None:
    """Run `work` until it succeeds, retrying with backoff. A refusal (a `CadError`: the input
    contradicts what is recorded) goes to `give_up` at once with its reason. A dependency
    outage is waited out however long it lasts: the message is safe, unacknowledged, at the
    broker. Any other error is retried for `give_up_after_s`, then handed to `give_up` with
    the reason. `give_up` dead-letters; if it fails too, the error propagates (no ack)."""
    delay, failing_since = _FIRST_DELAY_S, None
    while True:
        try:
            await work()
            return
        except Exception as exc:
            outage = outage_of(exc)
            if outage is None and isinstance(exc, CadError):
                await give_up(str(exc))
                return
            now = time.monotonic()
            failing_since = failing_since or now
            if outage is None and now - failing_since >= give_up_after_s:
                await give_up(
                    f"not processed within {give_up_after_s:g}s: {type(exc).__name__}: {exc}"
                )
                return
            fields = {
                "error": f"{type(exc).__name__}: {exc}",
                "outage": outage.dependency if outage else None,
                "retry_s": delay,
            }
            # A defect's traceback once, at its first failure; an outage's only its message.
            first_defect = outage is None and failing_since == now
            logger.warning(
                "handling_retried", exc_info=first_defect, extra={"fields": fields | context}
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_DELAY_S)
