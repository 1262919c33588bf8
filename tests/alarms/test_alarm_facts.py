"""The alarm scan reads only what its rules may act on (service/alarms/lua/alarm_facts.lua): an
incident that is neither waiting nor due is still read for the unit on scene at it, so that its
type's limit applies; an incident not yet due raises nothing and costs the scan no record."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from cad.alarm_record import AlarmKind
from cad.events import UnitStatus
from cad.settings import Settings
from service.alarms.facts import due_cutoffs
from service.alarms.rules import Limits
from service.runtime import Runtime
from tests.alarms.conftest import Clock, record, scanner_of
from tests.alarms.test_unit_alarms import add_unit, move

_VIOLENCE_ON_SCENE_S = 60.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A short on-scene limit for the type only: the default would not alarm within the test."""
    return settings.model_copy(update={"alarm_on_scene_by_s": {"violence": _VIOLENCE_ON_SCENE_S}})


@pytest.mark.topologies("single", "cluster")
async def test_a_unit_on_scene_alarms_by_its_incident_s_type_though_the_incident_is_not_due(
    app: FastAPI, client: httpx.AsyncClient, clock: Clock
) -> None:
    runtime: Runtime = app.state.runtime
    scanner = scanner_of(runtime, clock)
    await add_unit(client, "CW41")
    incident = await record(client, "f-1", incident_type="violence", grade="I")
    await move(runtime, "CW41", UnitStatus.EN_ROUTE, incident["ref"], clock.ms)
    await move(runtime, "CW41", UnitStatus.ON_SCENE, incident["ref"], clock.ms)
    clock.advance(_VIOLENCE_ON_SCENE_S - 1)
    assert await scanner.scan_once() == []
    clock.advance(2)
    (raised,) = await scanner.scan_once()
    assert (raised.kind, raised.callsign, raised.ref) == (
        AlarmKind.ON_SCENE_LONG, "CW41", incident["ref"],
    )  # fmt: skip


def test_the_cutoffs_are_never_narrower_than_the_rules(settings: Settings) -> None:
    limits = Limits.from_settings(settings)
    now_ms = 1_800_000_000_000
    cutoffs = due_cutoffs(now_ms, limits, frozenset())
    # The rules alarm strictly past the limit: the last millisecond not yet due is still read.
    assert cutoffs.new_before_ms > now_ms - limits.untouched_new_s * 1000
    shortest = min([limits.queue_age_s, *limits.queue_age_by_grade_s.values()])
    assert cutoffs.pending_before_ms > now_ms - shortest * 1000
