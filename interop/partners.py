"""The partner agencies (cad/data/partners.yaml, or CAD_PARTNERS_FILE): who they are on MQTT
and in an EIDO, and where their HTTPS endpoint is, if they have one."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cad.catalogue_file import read_catalogue
from cad.settings import Settings
from geo.jurisdiction import MET_NAME
from interop.eido.facts import Agency


class Partner(BaseModel):
    """One partner agency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # A single MQTT topic level, and a login name's suffix.
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    eido_agency: Annotated[str, Field(pattern=r"^[a-z0-9.-]{3,100}$")]
    agency_type: Annotated[str, Field(pattern=r"^[a-z_]+(\.[a-z_]+)*$")]
    endpoint: str | None = None
    # The CAs its endpoint's certificate is checked against (PEM); the system's without it.
    ca_file: Path | None = None

    @field_validator("endpoint")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and (
            urlsplit(value).scheme != "https" or not urlsplit(value).hostname
        ):
            raise ValueError("endpoint: an https:// URL")
        return value

    @property
    def agency(self) -> Agency:
        """The partner as an EIDO names it."""
        return Agency(self.eido_agency, self.name, self.agency_type)


class Partners(BaseModel):
    """Every partner, by id, names and EIDO agency ids unique."""

    model_config = ConfigDict(frozen=True)

    version: Literal[1]
    partners: tuple[Partner, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Partners:
        for field in ("id", "name", "eido_agency"):
            seen = [str(getattr(p, field)).casefold() for p in self.partners]
            twice = sorted({v for v in seen if seen.count(v) > 1})
            if twice:
                raise ValueError(f"partners: {field} {twice[0]!r} is listed twice")
        return self

    def by_id(self, partner_id: str) -> Partner | None:
        """The partner whose MQTT agency id this is."""
        return next((p for p in self.partners if p.id == partner_id), None)

    def named(self, force: str) -> Partner | None:
        """The partner a transfer names, by its name or its id (case aside)."""
        wanted = force.strip().casefold()
        return next((p for p in self.partners if wanted in (p.name.casefold(), p.id)), None)

    def by_agency(self, eido_agency: str) -> Partner | None:
        """The partner with this EIDO agency id."""
        return next((p for p in self.partners if p.eido_agency == eido_agency), None)


@cache
def load_partners(path: Path | None = None) -> Partners:
    """The partners from `path`, or the shipped `cad/data/partners.yaml`."""
    return read_catalogue(Partners, path, shipped="partners.yaml")


def our_agency(settings: Settings) -> Agency:
    """This force as its EIDOs name it (CAD_AGENCY_ID)."""
    return Agency(settings.agency_id, MET_NAME, "police")
