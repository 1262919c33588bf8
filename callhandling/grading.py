"""Grading with THRIVE: a structured assessment suggests the grade; overrides need a reason."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from cad.events import Grade


class Level(StrEnum):
    """How much of a THRIVE factor is present."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Thrive(BaseModel):
    """Threat, Harm, Risk, Investigation, Vulnerability, Engagement, as a handler records them."""

    model_config = ConfigDict(frozen=True)

    threat: Level = Level.NONE
    harm: Level = Level.NONE
    risk: Level = Level.NONE
    # Strict: pydantic's lax mode reads "yes", "off", 1 and 0 as booleans; JSON has true/false.
    investigation: StrictBool = Field(default=False, description="an investigative opportunity now")
    vulnerability: StrictBool = Field(default=False, description="a vulnerable person is involved")
    engagement: StrictBool = Field(
        default=False, description="police engagement is needed in person"
    )


def suggest_grade(thrive: Thrive) -> tuple[Grade, str]:
    """The grade THRIVE points to, and why."""
    levels = {"threat": thrive.threat, "harm": thrive.harm, "risk": thrive.risk}
    high = [name for name, level in levels.items() if level is Level.HIGH]
    if high:
        return Grade.IMMEDIATE, f"high {', '.join(high)}"
    medium = [name for name, level in levels.items() if level is Level.MEDIUM]
    if medium and thrive.vulnerability:
        return Grade.IMMEDIATE, f"medium {', '.join(medium)} with a vulnerable person"
    if medium or thrive.vulnerability:
        why = f"medium {', '.join(medium)}" if medium else "a vulnerable person"
        return Grade.SIGNIFICANT, why
    if thrive.investigation or thrive.engagement:
        return Grade.EXTENDED, "investigation or engagement needed, no immediate risk"
    return Grade.REFERRED, "no threat, harm or risk and nothing for police to attend"


class GradeDecision(BaseModel):
    """What a call handler decides: THRIVE, and a grade that overrides the suggestion if given."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"thrive": {"threat": "high", "harm": "high", "risk": "medium",
                            "investigation": True, "vulnerability": False, "engagement": True}},
                {"thrive": {"threat": "medium", "harm": "low", "risk": "low"}, "grade": "I",
                 "reason": "caller says a knife was seen"},
            ]
        }
    )  # fmt: skip

    thrive: Thrive
    grade: Grade | None = None
    reason: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _override_needs_a_reason(self) -> GradeDecision:
        suggested, _ = suggest_grade(self.thrive)
        if (
            self.grade is not None
            and self.grade is not suggested
            and not (self.reason or "").strip()
        ):
            raise ValueError(
                f"reason: required to grade {self.grade.value} "
                f"when THRIVE suggests {suggested.value}"
            )
        return self

    def final(self) -> tuple[Grade, Grade, str]:
        """(grade, suggested grade, reason) as the incident history records them."""
        suggested, why = suggest_grade(self.thrive)
        if self.grade is None or self.grade is suggested:
            return suggested, suggested, why
        return self.grade, suggested, f"override: {self.reason}"
