"""The result code catalogue: how an incident ended, with a label and a Home Office (NSIR) style
category, in data (`cad/data/result_codes.yaml`), as the incident types are."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from cad.catalogue_file import parse_catalogue_text, read_catalogue


class Category(StrEnum):
    """What kind of incident it turned out to be, as forces count them (NSIR style)."""

    CRIME = "crime"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    PUBLIC_SAFETY = "public_safety"
    TRANSPORT = "transport"
    ADMINISTRATIVE = "administrative"


class ResultCode(BaseModel):
    """One result code."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(min_length=1, max_length=200)
    category: Category


class ResultCatalogue(BaseModel):
    """Every result code, by code."""

    model_config = ConfigDict(frozen=True)

    version: int
    codes: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")], ResultCode] = Field(
        min_length=1
    )

    def refusal(self, code: str) -> str | None:
        """Why `code` is refused (not in the catalogue), naming the valid codes; None if known."""
        if code in self.codes:
            return None
        return f"code: unknown result code {code!r}; valid codes: {', '.join(sorted(self.codes))}"


def parse_result_catalogue(text: str, *, source: str) -> ResultCatalogue:
    """Validate result catalogue YAML text."""
    return parse_catalogue_text(ResultCatalogue, text, source=source)


@cache
def load_result_catalogue(path: Path | None = None) -> ResultCatalogue:
    """The catalogue from `path`, or the one shipped in `cad/data/result_codes.yaml`."""
    return read_catalogue(ResultCatalogue, path, shipped="result_codes.yaml")
