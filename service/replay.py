"""`cad replay FILE`: publish a log of call events to `calls/in` as a gateway would, at their
original pace or faster. The call ids make a replay safe: what was recorded already changes
nothing, so a gateway's log can be fed again after an outage to fill any gap."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cad.clock_bounds import call_clock
from cad.settings import Settings
from cad.topics import Topics
from service.replay_file import ReplayPlan, plan_replay
from transport.mqtt import new_client
from transport.mqtt_client import MqttError
from transport.mqtt_logins import own_login


async def publish_plan(settings: Settings, plan: ReplayPlan) -> tuple[int, str | None]:
    """Publish the plan's events (QoS 1, each waited for): how many the broker acknowledged,
    and why it stopped early, if it did."""
    topic = Topics(settings.topic_root).calls_in
    # CAD_MQTT_URL carries a gateway's login here: its own client id is its username.
    login = own_login(settings.mqtt_url, f"cad-replay-{uuid.uuid4().hex[:8]}")
    client = new_client(settings, login, persistent=False)
    published = 0
    try:
        async with client:
            started = time.perf_counter()
            for due_s, event in plan.events:
                wait = started + due_s - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                await client.publish(
                    topic, event.model_dump_json().encode(), qos=1,
                    timeout=settings.network_timeout_s,
                )  # fmt: skip
                published += 1
    except MqttError as exc:
        return published, str(exc)
    return published, None


async def replay(settings: Settings, path: Path, *, speed: float, restamp: bool) -> int:
    """Replay the file; exit status 1 when a line was refused or the broker failed us."""
    with path.open(encoding="utf-8") as lines:
        plan = plan_replay(
            lines, max_bytes=settings.max_payload_bytes, speed=speed, now=datetime.now(UTC),
            restamp=restamp, clock_bounds=call_clock(settings),
        )  # fmt: skip
    for refused in plan.refused:
        print(f"{path}:{refused.line}: refused: {refused.reason}", file=sys.stderr)
    published, failure = await publish_plan(settings, plan)
    print(
        f"published {published} of {len(plan.events)} call events to "
        f"{Topics(settings.topic_root).calls_in}, refused {len(plan.refused)} lines, "
        f"{plan.repeated_ids} repeated call ids"
    )
    if failure is not None:
        # Replaying the whole file again is safe: the call ids make repeats change nothing.
        print(f"cad replay: the broker failed after {published}: {failure}", file=sys.stderr)
    return 1 if plan.refused or failure is not None else 0
