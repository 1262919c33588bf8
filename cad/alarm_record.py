"""An alarm as it is stored, listed and pushed (`cad/alarms`, the live map): its kinds,
severities and states, its id, and reading it back from its Redis hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class AlarmKind(StrEnum):
    """What is alarming (service/alarms/rules.py says when each is raised and cleared)."""

    QUEUE_AGE = "queue_age"
    UNTOUCHED_NEW = "untouched_new"
    DEAD_LETTERS = "dead_letters"
    ON_SCENE_LONG = "on_scene_long"
    TASKING_UNACKNOWLEDGED = "tasking_unacknowledged"
    TASKING_EXHAUSTED = "tasking_exhausted"
    RESULT_OVERDUE = "result_overdue"


class Severity(StrEnum):
    """How urgent: `critical` wants someone now, `warning` soon, `info` to know."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlarmState(StrEnum):
    """`raised` until a supervisor acknowledges it; `cleared` once its condition ends (whether
    acknowledged or not), and then kept for CAD_ALARM_RETENTION_S."""

    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


ACTIVE = frozenset({AlarmState.RAISED, AlarmState.ACKNOWLEDGED})
# An id travels in a URL path: letters, digits, `-` only.
ALARM_ID_PATTERN = r"^[a-z_]{1,32}-[0-9a-f]{16}$"


def alarm_id(kind: AlarmKind, subject: str) -> str:
    """The one id of the alarm `kind` about `subject` (an incident ref, a callsign, a topic):
    the same on every replica, so that two scans of one condition raise one alarm."""
    digest = hashlib.sha256(f"{kind.value}|{subject}".encode()).hexdigest()[:16]
    return f"{kind.value}-{digest}"


class Alarm(BaseModel):
    """One alarm, on `cad/alarms` (QoS 1) at each change of state, and in `GET /v1/alarms`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    schema_version: Literal[1] = 1
    alarm_id: str = Field(pattern=ALARM_ID_PATTERN)
    kind: AlarmKind
    severity: Severity
    state: AlarmState
    area: str | None = None
    ref: str | None = None
    callsign: str | None = None
    topic: str | None = Field(default=None, description="dead letters: the topic refused")
    detail: str = Field(description="what was found when it was raised, for people")
    raised_at: AwareDatetime
    acknowledged_at: AwareDatetime | None = None
    acknowledged_by: str | None = None
    note: str | None = None
    cleared_at: AwareDatetime | None = None

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> Alarm:
        """Read the Redis hash (all strings; ms since the epoch for times; empty: absent)."""
        present: dict[str, object] = {k: v for k, v in fields.items() if v != ""}
        for name in ("raised", "acknowledged", "cleared"):
            ms = present.pop(f"{name}_ms", None)
            if ms is not None:
                present[f"{name}_at"] = from_ms(int(str(ms)))
        return cls.model_validate(present)


def from_ms(ms: int) -> datetime:
    """A time stored as ms since the epoch, as an aware UTC datetime."""
    return datetime.fromtimestamp(ms / 1000, UTC)
