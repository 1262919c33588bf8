"""What is alarming, given the records read and the time now: pure, no I/O.

Each rule turns facts into `Condition`s, one per thing alarming (an incident, a unit, a topic);
the scanner raises an alarm for each condition and clears every active alarm whose condition is
no longer found. A condition's id is its kind and subject's (cad/alarm_record.py `alarm_id`), so
one condition is one alarm however often and wherever it is found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cad.alarm_record import Alarm, AlarmKind, Severity, alarm_id
from cad.events import Grade, UnitStatus
from cad.settings import Settings

_WAITING = frozenset({"new", "pending"})


@dataclass(frozen=True)
class IncidentFacts:
    """What the rules read of an open incident; `touched_ms`: when it was created or its status
    last changed."""

    ref: str
    area: str
    status: str
    grade: Grade | None
    incident_type: str | None
    received_ms: int
    touched_ms: int
    units: tuple[str, ...]


@dataclass(frozen=True)
class UnitFacts:
    """What the rules read of a unit: its status since when, and its incident's grade and type."""

    callsign: str
    area: str
    status: str
    since_ms: int
    ref: str | None = None
    grade: Grade | None = None
    incident_type: str | None = None


@dataclass(frozen=True)
class AwaitingResult:
    """An incident whose last unit has cleared, waiting for its result code since `cleared_ms`."""

    ref: str
    area: str
    cleared_ms: int


@dataclass(frozen=True)
class DeadLetterCount:
    """The dead letters of one topic within the window, and the last one's reason."""

    topic: str
    count: int
    last_reason: str
    callsign: str | None = None


@dataclass(frozen=True)
class Facts:
    """Everything one scan read."""

    incidents: list[IncidentFacts] = field(default_factory=list)
    units: list[UnitFacts] = field(default_factory=list)
    dead_letters: list[DeadLetterCount] = field(default_factory=list)
    awaiting_result: list[AwaitingResult] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    """The thresholds (CAD_ALARM_*, CAD_QUEUE_ALARM_AGE_S), in seconds but for the count."""

    queue_age_s: float
    queue_age_by_grade_s: dict[Grade, float]
    untouched_new_s: float
    result_overdue_s: float
    on_scene_s: float
    on_scene_by_s: dict[str, float]
    dead_letter_count: int
    dead_letter_window_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            queue_age_s=settings.queue_alarm_age_s,
            queue_age_by_grade_s=dict(settings.alarm_queue_age_by_grade_s),
            untouched_new_s=settings.alarm_untouched_new_s,
            result_overdue_s=settings.alarm_result_overdue_s,
            on_scene_s=settings.alarm_on_scene_s,
            on_scene_by_s=dict(settings.alarm_on_scene_by_s),
            dead_letter_count=settings.alarm_dead_letter_count,
            dead_letter_window_s=settings.alarm_dead_letter_window_s,
        )


@dataclass(frozen=True)
class Condition:
    """Something alarming now: the alarm to raise for it."""

    kind: AlarmKind
    subject: str
    severity: Severity
    detail: str
    area: str | None = None
    ref: str | None = None
    callsign: str | None = None
    topic: str | None = None

    @property
    def alarm_id(self) -> str:
        return alarm_id(self.kind, self.subject)

    def fields(self) -> dict[str, str]:
        """The alarm's own stored fields (the store adds id, state and times)."""
        given = {
            "kind": self.kind.value, "severity": self.severity.value, "detail": self.detail,
            "area": self.area, "ref": self.ref, "callsign": self.callsign, "topic": self.topic,
        }  # fmt: skip
        return {k: v for k, v in given.items() if v is not None}


def conditions(facts: Facts, *, now_ms: int, limits: Limits) -> list[Condition]:
    """Every condition the facts show now (but `tasking_exhausted`: `still_exhausted`)."""
    found: list[Condition] = []
    for incident in facts.incidents:
        found += [c for c in (queue_age(incident, now_ms, limits),) if c]
        found += [c for c in (untouched_new(incident, now_ms, limits),) if c]
    for unit in facts.units:
        found += [c for c in (on_scene_long(unit, now_ms, limits), unresponsive(unit)) if c]
    found += [c for c in (dead_letters(d, limits) for d in facts.dead_letters) if c]
    found += [c for c in (result_overdue(a, now_ms, limits) for a in facts.awaiting_result) if c]
    return found


def queue_age(incident: IncidentFacts, now_ms: int, limits: Limits) -> Condition | None:
    """A pending incident older (since the call) than its grade's queue limit: critical for an
    Immediate one, a warning otherwise."""
    if incident.status != "pending":
        return None
    limit_s = limits.queue_age_s
    if incident.grade is not None:
        limit_s = limits.queue_age_by_grade_s.get(incident.grade, limit_s)
    waited_s = (now_ms - incident.received_ms) / 1000
    if waited_s <= limit_s:
        return None
    severity = Severity.CRITICAL if incident.grade is Grade.IMMEDIATE else Severity.WARNING
    grade = incident.grade.value if incident.grade else "ungraded"
    return Condition(
        AlarmKind.QUEUE_AGE, f"{incident.area}|{incident.ref}", severity,
        f"{grade} incident pending {waited_s:.0f}s (limit {limit_s:g}s)",
        area=incident.area, ref=incident.ref,
    )  # fmt: skip


def untouched_new(incident: IncidentFacts, now_ms: int, limits: Limits) -> Condition | None:
    """An incident still `new` (no one has graded it into the queue, dispatched, referred or
    closed it) and unchanged for longer than CAD_ALARM_UNTOUCHED_NEW_S: critical when graded
    Immediate, a warning otherwise (an ungraded or Referred one is the kind that sits unseen)."""
    if incident.status != "new":
        return None
    idle_s = (now_ms - incident.touched_ms) / 1000
    if idle_s <= limits.untouched_new_s:
        return None
    severity = Severity.CRITICAL if incident.grade is Grade.IMMEDIATE else Severity.WARNING
    grade = incident.grade.value if incident.grade else "ungraded"
    return Condition(
        AlarmKind.UNTOUCHED_NEW, f"{incident.area}|{incident.ref}", severity,
        f"{grade} incident new and untouched for {idle_s:.0f}s "
        f"(limit {limits.untouched_new_s:g}s)",
        area=incident.area, ref=incident.ref,
    )  # fmt: skip


def result_overdue(waiting: AwaitingResult, now_ms: int, limits: Limits) -> Condition | None:
    """An incident whose units have all cleared, still without its result code after
    CAD_ALARM_RESULT_OVERDUE_S (it stays off the closed history and the KPIs until given): info."""
    waited_s = (now_ms - waiting.cleared_ms) / 1000
    if waited_s <= limits.result_overdue_s:
        return None
    return Condition(
        AlarmKind.RESULT_OVERDUE, f"{waiting.area}|{waiting.ref}", Severity.INFO,
        f"awaiting its result for {waited_s:.0f}s (limit {limits.result_overdue_s:g}s)",
        area=waiting.area, ref=waiting.ref,
    )  # fmt: skip


def on_scene_limit_s(unit: UnitFacts, limits: Limits) -> float:
    """The unit's limit on scene: its incident type's, else its grade's, else the default."""
    for key in (unit.incident_type, unit.grade.value if unit.grade else None):
        if key is not None and key in limits.on_scene_by_s:
            return limits.on_scene_by_s[key]
    return limits.on_scene_s


def on_scene_long(unit: UnitFacts, now_ms: int, limits: Limits) -> Condition | None:
    """A unit on scene longer than its limit (a crew that may need a welfare check): info."""
    if unit.status != UnitStatus.ON_SCENE:
        return None
    limit_s = on_scene_limit_s(unit, limits)
    there_s = (now_ms - unit.since_ms) / 1000
    if there_s <= limit_s:
        return None
    return Condition(
        AlarmKind.ON_SCENE_LONG, f"{unit.area}|{unit.callsign}", Severity.INFO,
        f"on scene for {there_s:.0f}s (limit {limit_s:g}s)",
        area=unit.area, ref=unit.ref, callsign=unit.callsign,
    )  # fmt: skip


def unresponsive(unit: UnitFacts) -> Condition | None:
    """A unit whose tasking went unacknowledged and was escalated (it stays `unresponsive` until
    its MDT reports again): a warning."""
    if unit.status != UnitStatus.UNRESPONSIVE:
        return None
    return Condition(
        AlarmKind.TASKING_UNACKNOWLEDGED, f"{unit.area}|{unit.callsign}", Severity.WARNING,
        "tasking not acknowledged: escalated, the unit is unresponsive",
        area=unit.area, callsign=unit.callsign,
    )  # fmt: skip


def exhausted(incident: IncidentFacts) -> Condition | None:
    """After an escalation, an incident left waiting with no unit at all (none could replace
    the one that did not answer): critical. Raised by the acknowledgement watch, which knows
    an escalation happened; kept while `still_exhausted`."""
    if incident.status not in _WAITING or incident.units:
        return None
    return Condition(
        AlarmKind.TASKING_EXHAUSTED, f"{incident.area}|{incident.ref}", Severity.CRITICAL,
        "tasking escalated and no unit left on the incident",
        area=incident.area, ref=incident.ref,
    )  # fmt: skip


def still_exhausted(alarm: Alarm, incidents: Iterable[IncidentFacts]) -> bool:
    """Whether a `tasking_exhausted` alarm's incident is still open, waiting and unit-less."""
    return any(
        i.ref == alarm.ref and i.area == alarm.area and exhausted(i) is not None for i in incidents
    )


def dead_letters(letters: DeadLetterCount, limits: Limits) -> Condition | None:
    """At least CAD_ALARM_DEAD_LETTER_COUNT messages on one topic refused within the window
    (a gateway or an MDT sending what cannot be taken in): a warning."""
    if letters.count < limits.dead_letter_count:
        return None
    return Condition(
        AlarmKind.DEAD_LETTERS, letters.topic, Severity.WARNING,
        f"{letters.count} dead letters in {limits.dead_letter_window_s:g}s; last: "
        f"{letters.last_reason[:200]}",
        callsign=letters.callsign, topic=letters.topic,
    )  # fmt: skip


def to_clear(
    active: Iterable[Alarm], found: Iterable[Condition], incidents: Iterable[IncidentFacts]
) -> list[Alarm]:
    """The active alarms whose condition is no longer found."""
    wanted = {c.alarm_id for c in found}
    listed = list(incidents)
    return [
        a
        for a in active
        if a.alarm_id not in wanted
        and not (a.kind is AlarmKind.TASKING_EXHAUSTED and still_exhausted(a, listed))
    ]
