"""The call path reads forward: for a new incident the intake calls into dispatch at most three
times (the call's dispatch area, the opening claim queued on the creation's batch, the rest of
the dispatch once that batch has answered), and dispatch never calls back into call handling.
Counted by profiling the real path against real servers: each first entry of a function of one
package from a function of the other."""

from __future__ import annotations

import dis
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

from redis.asyncio import Redis

from cad.events import CallEvent, CallSource, Grade, Location, utcnow
from cad.settings import Settings
from callhandling.incidents import Outcome
from callhandling.intake import CallIntake
from dispatch.claims import ClaimOutcome
from dispatch.scripts import DispatchScripts
from dispatch.units import Unit, register_unit
from tests.dispatch.mutual_aid_fixtures import RecordingPublisher, dispatcher_for

REPO = Path(__file__).resolve().parents[2]
WESTMINSTER = (-0.1276, 51.5007)


@cache
def _package(filename: str) -> str:
    path = Path(filename)
    return path.relative_to(REPO).parts[0] if path.is_relative_to(REPO) else ""


@cache
def _start(code: CodeType) -> int:
    """Where a frame of this code stands when it is entered, not resumed (its RESUME)."""
    return next((i.offset for i in dis.get_instructions(code) if i.opname == "RESUME"), 0)


@contextmanager
def crossings() -> Iterator[list[str]]:
    """Each call from callhandling into dispatch, or back, made inside the block."""
    found: list[str] = []

    def profile(frame: FrameType, event: str, _: Any) -> None:
        back = frame.f_back
        if event != "call" or back is None or frame.f_lasti != _start(frame.f_code):
            return  # a coroutine resumed is not a new call
        pair = (_package(back.f_code.co_filename), _package(frame.f_code.co_filename))
        if pair in (("callhandling", "dispatch"), ("dispatch", "callhandling")):
            found.append(f"{back.f_code.co_qualname} -> {frame.f_code.co_qualname}")

    sys.setprofile(profile)
    try:
        yield found
    finally:
        sys.setprofile(None)


def call(call_id: str, grade: Grade | None) -> CallEvent:
    return CallEvent(
        call_id=call_id, received_at=utcnow() - timedelta(seconds=5),
        source=CallSource.EMERGENCY_999, location=Location(lon=WESTMINSTER[0], lat=WESTMINSTER[1]),
        incident_type="violence" if grade else None, grade=grade,
    )  # fmt: skip


async def test_a_new_incident_crosses_into_dispatch_three_times(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    unit = Unit(callsign="CW01", area="CW", base_lon=-0.1347, base_lat=51.4995)
    await register_unit(redis, scripts, unit, now_ms=1, actor="test")
    publisher = RecordingPublisher()
    intake = CallIntake(redis, dispatcher_for(redis, scripts, publisher), settings)
    await intake.accept(call("warm-up", None), actor="test")  # first calls import and load
    with crossings() as found:
        result = await intake.accept(call("new", Grade.IMMEDIATE), actor="test", auto_link=False)
    assert result.outcome is Outcome.CREATED
    assert result.claim is not None
    assert result.claim.outcome is ClaimOutcome.CLAIMED
    assert len(publisher.sent) == 1  # the tasking went out
    assert found == [
        "CallIntake._locate -> dispatch_area",
        "CallIntake._create -> Dispatcher.queue_opening",
        "CallIntake._create -> Dispatcher.finish_opening",
    ]


async def test_a_linked_call_crosses_into_dispatch_once(
    settings: Settings, redis: Redis, scripts: DispatchScripts
) -> None:
    intake = CallIntake(redis, dispatcher_for(redis, scripts), settings)
    await intake.accept(call("first", None), actor="test")
    with crossings() as found:
        result = await intake.accept(call("second", None), actor="test")
    assert result.outcome is Outcome.LINKED
    assert found == ["CallIntake._locate -> dispatch_area"]
