"""The incident type catalogue: opening codes with a default grade and a response plan, in data."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cad.catalogue_file import parse_catalogue_text, read_catalogue
from cad.events import Grade

Capability = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class Requirement(BaseModel):
    """`count` units that each have every capability listed."""

    model_config = ConfigDict(frozen=True)

    capabilities: tuple[Capability, ...] = Field(min_length=1, max_length=4)
    count: int = Field(ge=1, le=20)


class IncidentType(BaseModel):
    """One opening code."""

    model_config = ConfigDict(frozen=True)

    label: str
    default_grade: Grade
    plan: tuple[Requirement, ...] = ()


class Catalogue(BaseModel):
    """Every incident type, by code."""

    model_config = ConfigDict(frozen=True)

    version: int
    types: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")], IncidentType]

    def plan_for(self, code: str | None) -> tuple[Requirement, ...]:
        """The response plan of a type; one response unit for an unknown or missing type."""
        known = self.types.get(code or "")
        return known.plan if known is not None else DEFAULT_PLAN

    def type_refusal(self, code: str | None) -> str | None:
        """Why a call's `incident_type` is refused (not in the catalogue), or None: a missing
        type is allowed (the call waits for a handler to say what it is)."""
        if code is None or code in self.types:
            return None
        return f"incident_type: unknown type {code!r}; valid types: {', '.join(sorted(self.types))}"


DEFAULT_PLAN = (Requirement(capabilities=("response",), count=1),)


def parse_catalogue(text: str, *, source: str) -> Catalogue:
    """Validate catalogue YAML text."""
    return parse_catalogue_text(Catalogue, text, source=source)


@cache
def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue from `path`, or the one shipped in `cad/data/incident_types.yaml`."""
    return read_catalogue(Catalogue, path, shipped="incident_types.yaml")
