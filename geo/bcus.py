"""The Met's 12 Basic Command Units as unions of boroughs, and the forces that police London."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

Force = Literal["MPS", "CoLP", "none"]

MET: Final = "MPS"
CITY_POLICE: Final = "CoLP"
NO_FORCE: Final = "none"

# The City of London has its own force (City of London Police): it belongs to no BCU.
CITY_OF_LONDON: Final = "City of London"

BCUS: Final[dict[str, str]] = {
    "CW": "Central West",
    "CN": "Central North",
    "CS": "Central South",
    "CE": "Central East",
    "NO": "North",
    "NW": "North West",
    "NE": "North East",
    "EA": "East",
    "SE": "South East",
    "SO": "South",
    "SW": "South West",
    "WE": "West",
}

# Borough names exactly as the boundary files spell them ("and", not "&").
_BCU_BOROUGHS: Final[dict[str, tuple[str, ...]]] = {
    "CW": ("Westminster", "Kensington and Chelsea", "Hammersmith and Fulham"),
    "CN": ("Camden", "Islington"),
    "CS": ("Lambeth", "Southwark"),
    "CE": ("Hackney", "Tower Hamlets"),
    "NO": ("Enfield", "Haringey"),
    "NW": ("Barnet", "Brent", "Harrow"),
    "NE": ("Newham", "Waltham Forest"),
    "EA": ("Barking and Dagenham", "Havering", "Redbridge"),
    "SE": ("Bexley", "Greenwich", "Lewisham"),
    "SO": ("Bromley", "Croydon", "Sutton"),
    "SW": ("Kingston upon Thames", "Merton", "Richmond upon Thames", "Wandsworth"),
    "WE": ("Ealing", "Hillingdon", "Hounslow"),
}

BOROUGH_BCU: Final[dict[str, str]] = {
    borough: code for code, boroughs in _BCU_BOROUGHS.items() for borough in boroughs
}


def force_of(borough: str) -> Force:
    """The police force of a London borough."""
    return CITY_POLICE if borough == CITY_OF_LONDON else MET


def check_boroughs(names: Iterable[str]) -> None:
    """Raise ValueError unless `names` are exactly the City plus the boroughs of the 12 BCUs."""
    expected = {*BOROUGH_BCU, CITY_OF_LONDON}
    given = set(names)
    if given != expected:
        raise ValueError(
            f"borough names do not match the BCU table: unknown {sorted(given - expected)}, "
            f"missing {sorted(expected - given)}"
        )
