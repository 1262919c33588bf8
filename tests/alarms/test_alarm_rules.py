"""The alarm rules, free of I/O: each kind raised past its threshold and not before, the
thresholds by grade and type, the ids, and which active alarms clear."""

from __future__ import annotations

from datetime import UTC, datetime

from cad.alarm_record import Alarm, AlarmKind, AlarmState, Severity, alarm_id
from cad.events import Grade
from cad.settings import get_settings
from service.alarms.rules import (
    AwaitingResult,
    DeadLetterCount,
    Facts,
    IncidentFacts,
    Limits,
    UnitFacts,
    conditions,
    exhausted,
    on_scene_limit_s,
    result_overdue,
    to_clear,
)

NOW = 10_000_000
LIMITS = Limits(
    queue_age_s=1200, queue_age_by_grade_s={Grade.IMMEDIATE: 300}, untouched_new_s=300,
    result_overdue_s=1800,
    on_scene_s=7200, on_scene_by_s={"burglary": 3600, "S": 5400}, dead_letter_count=3,
    dead_letter_window_s=300,
)  # fmt: skip


def incident(status: str, grade: Grade | None, age_s: float, **more: object) -> IncidentFacts:
    fields: dict[str, object] = {
        "ref": "CAD 0001/04DEC26", "area": "CW", "status": status, "grade": grade,
        "incident_type": None, "received_ms": NOW - int(age_s * 1000),
        "touched_ms": NOW - int(age_s * 1000), "units": (),
    }  # fmt: skip
    return IncidentFacts(**{**fields, **more})  # type: ignore[arg-type]


def kinds(facts: Facts) -> list[tuple[AlarmKind, Severity]]:
    return [(c.kind, c.severity) for c in conditions(facts, now_ms=NOW, limits=LIMITS)]


def test_a_pending_incident_alarms_past_its_grade_s_queue_age() -> None:
    assert kinds(Facts(incidents=[incident("pending", Grade.IMMEDIATE, 299)])) == []
    assert kinds(Facts(incidents=[incident("pending", Grade.IMMEDIATE, 301)])) == [
        (AlarmKind.QUEUE_AGE, Severity.CRITICAL)
    ]
    # No limit of its own: the default (CAD_QUEUE_ALARM_AGE_S).
    assert kinds(Facts(incidents=[incident("pending", Grade.EXTENDED, 1199)])) == []
    assert kinds(Facts(incidents=[incident("pending", None, 1201)])) == [
        (AlarmKind.QUEUE_AGE, Severity.WARNING)
    ]
    assert kinds(Facts(incidents=[incident("dispatched", Grade.IMMEDIATE, 5000)])) == []


def test_a_new_incident_alarms_when_untouched_for_long() -> None:
    assert kinds(Facts(incidents=[incident("new", Grade.REFERRED, 299)])) == []
    assert kinds(Facts(incidents=[incident("new", Grade.REFERRED, 301)])) == [
        (AlarmKind.UNTOUCHED_NEW, Severity.WARNING)
    ]
    # Received long ago, but its status changed a minute ago: touched.
    recent = incident("new", None, 5000, touched_ms=NOW - 60_000)
    assert kinds(Facts(incidents=[recent])) == []
    assert kinds(Facts(incidents=[incident("new", Grade.IMMEDIATE, 400)])) == [
        (AlarmKind.UNTOUCHED_NEW, Severity.CRITICAL)
    ]


def unit(status: str, there_s: float, **more: object) -> UnitFacts:
    fields: dict[str, object] = {
        "callsign": "CW01",
        "area": "CW",
        "status": status,
        "since_ms": NOW - int(there_s * 1000),
    }
    return UnitFacts(**{**fields, **more})  # type: ignore[arg-type]


def test_on_scene_limits_by_type_then_grade_then_default() -> None:
    assert (
        on_scene_limit_s(
            unit("on_scene", 0, incident_type="burglary", grade=Grade.SIGNIFICANT), LIMITS
        )
        == 3600
    )
    assert (
        on_scene_limit_s(
            unit("on_scene", 0, incident_type="theft", grade=Grade.SIGNIFICANT), LIMITS
        )
        == 5400
    )
    assert on_scene_limit_s(unit("on_scene", 0), LIMITS) == 7200
    assert kinds(Facts(units=[unit("on_scene", 3599, incident_type="burglary")])) == []
    assert kinds(Facts(units=[unit("on_scene", 3601, incident_type="burglary")])) == [
        (AlarmKind.ON_SCENE_LONG, Severity.INFO)
    ]
    assert kinds(Facts(units=[unit("busy", 99_999)])) == []


def test_an_unresponsive_unit_alarms_and_a_unit_less_waiting_incident_is_exhausted() -> None:
    assert kinds(Facts(units=[unit("unresponsive", 0)])) == [
        (AlarmKind.TASKING_UNACKNOWLEDGED, Severity.WARNING)
    ]
    assert exhausted(incident("new", Grade.IMMEDIATE, 1)) is not None
    assert exhausted(incident("pending", Grade.IMMEDIATE, 1)) is not None
    assert exhausted(incident("dispatched", Grade.IMMEDIATE, 1, units=("CW02",))) is None
    # The scan itself never raises it: only an escalation does.
    assert AlarmKind.TASKING_EXHAUSTED not in [k for k, _ in kinds(Facts(incidents=[
        incident("new", Grade.IMMEDIATE, 1)]))]  # fmt: skip


def test_dead_letters_alarm_from_the_count_in_the_window() -> None:
    letters = DeadLetterCount("cad/calls/in", 2, "payload: not valid JSON")
    assert kinds(Facts(dead_letters=[letters])) == []
    three = DeadLetterCount("cad/units/CW01/status", 3, "status: bad", callsign="CW01")
    (found,) = conditions(Facts(dead_letters=[three]), now_ms=NOW, limits=LIMITS)
    assert (found.kind, found.callsign, found.topic) == (
        AlarmKind.DEAD_LETTERS,
        "CW01",
        three.topic,
    )


def test_one_condition_is_one_id_and_ids_fit_a_url() -> None:
    first = conditions(
        Facts(incidents=[incident("pending", None, 2000)]), now_ms=NOW, limits=LIMITS
    )
    later = conditions(
        Facts(incidents=[incident("pending", None, 2000)]), now_ms=NOW + 60_000, limits=LIMITS
    )
    assert first[0].alarm_id == later[0].alarm_id
    assert first[0].alarm_id != alarm_id(AlarmKind.UNTOUCHED_NEW, "CW|CAD 0001/04DEC26")
    assert first[0].alarm_id.replace("-", "").replace("_", "").isalnum()


def active(kind: AlarmKind, subject: str, **more: str) -> Alarm:
    return Alarm(
        alarm_id=alarm_id(kind, subject), kind=kind, severity=Severity.WARNING,
        state=AlarmState.RAISED, detail="", raised_at=datetime.now(UTC), **more,
    )  # fmt: skip


def test_active_alarms_clear_when_their_condition_is_gone() -> None:
    waiting = incident("pending", None, 2000)
    found = conditions(Facts(incidents=[waiting]), now_ms=NOW, limits=LIMITS)
    still = active(AlarmKind.QUEUE_AGE, "CW|CAD 0001/04DEC26")
    gone = active(AlarmKind.UNTOUCHED_NEW, "CW|CAD 0001/04DEC26")
    stuck = active(AlarmKind.TASKING_EXHAUSTED, "CW|CAD 0001/04DEC26", area="CW", ref=waiting.ref)
    assert to_clear([still, gone, stuck], found, [waiting]) == [gone]
    sent = incident("dispatched", None, 2000, units=("CW02",))
    assert to_clear([stuck], [], [sent]) == [stuck]


def test_the_limits_come_from_the_settings() -> None:
    settings = get_settings(alarm_queue_age_by_grade_s={"I": 60}, alarm_on_scene_by_s={"R": 10})
    limits = Limits.from_settings(settings)
    assert limits.queue_age_by_grade_s == {Grade.IMMEDIATE: 60}
    assert limits.queue_age_s == settings.queue_alarm_age_s
    assert limits.on_scene_by_s == {"R": 10}


def test_an_incident_awaiting_its_result_past_the_limit_alarms() -> None:
    waiting = AwaitingResult("CAD 0002/04DEC26", "CW", cleared_ms=NOW - 1_800_000)
    assert result_overdue(waiting, NOW, LIMITS) is None
    late = result_overdue(waiting, NOW + 1_000, LIMITS)
    assert late is not None
    assert (late.kind, late.severity, late.ref, late.area) == (
        AlarmKind.RESULT_OVERDUE, Severity.INFO, "CAD 0002/04DEC26", "CW",
    )  # fmt: skip
    facts = Facts(awaiting_result=[waiting])
    assert [c.kind for c in conditions(facts, now_ms=NOW + 1_000, limits=LIMITS)] == [
        AlarmKind.RESULT_OVERDUE
    ]
