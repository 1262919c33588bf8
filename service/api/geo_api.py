"""GET /v1/geo/locate: where a point, or an uncertainty circle around it, lies in London."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from geo import (
    MAX_RADIUS_M,
    CircleLocation,
    NearestStreet,
    PointLocation,
    load_gazetteer,
    load_streets,
)

router = APIRouter(prefix="/v1/geo", tags=["geo"])


class PointLocationOut(BaseModel):
    """Where a point is: borough, ward, BCU and force, or how it lies off them."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    lon: float
    lat: float
    borough: str | None
    gss_code: str | None
    ward: str | None
    ward_code: str | None
    bcu: str | None
    bcu_name: str | None
    nearest_bcu: str
    force: Literal["MPS", "CoLP", "none"]
    in_force_area: bool
    on_river: bool
    outside_force_area: bool
    distance_to_boundary_m: float | None
    eta_context: Literal["inner", "outer"]


class AreaShareOut(BaseModel):
    """The share of the circle's area in one BCU, borough or ward."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    level: Literal["bcu", "borough", "ward"]
    code: str
    name: str
    share: float


class CircleOut(BaseModel):
    """Every area the uncertainty circle touches, largest share first."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    radius_m: float
    areas: list[AreaShareOut]
    ambiguous: bool
    unlocated_share: float


class NearestStreetOut(BaseModel):
    """The named street nearest the point, on the road graph (Westminster's)."""

    model_config = ConfigDict(from_attributes=True, frozen=True)

    name: str
    distance_m: float


# Trafalgar Square with a 35 m circle, as the gazetteer answers (OpenAPI's example).
EXAMPLE_LOCATION: dict[str, Any] = {
    "point": {
        "lon": -0.1281, "lat": 51.508, "borough": "Westminster", "gss_code": "E09000033",
        "ward": "St James's", "ward_code": "E36007673", "bcu": "CW", "bcu_name": "Central West",
        "nearest_bcu": "CW", "force": "MPS", "in_force_area": True, "on_river": False,
        "outside_force_area": False, "distance_to_boundary_m": None, "eta_context": "inner",
    },
    "circle": {
        "radius_m": 35.0,
        "areas": [
            {"level": "bcu", "code": "CW", "name": "Central West", "share": 1.0},
            {"level": "borough", "code": "E09000033", "name": "Westminster", "share": 1.0},
            {"level": "ward", "code": "E36007673", "name": "St James's", "share": 1.0},
        ],
        "ambiguous": False, "unlocated_share": 0.0,
    },
    "street": {"name": "Trafalgar Square", "distance_m": 52.9},
}  # fmt: skip


class LocateResponse(BaseModel):
    """The point's location, and the circle's when a radius was given; the nearest street where
    the road graph covers the point and a street is within 150 m, else null."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_LOCATION]})

    point: PointLocationOut
    circle: CircleOut | None
    street: NearestStreetOut | None


@router.get("/locate")
def locate(
    lon: Annotated[float, Query(ge=-180.0, le=180.0, allow_inf_nan=False, description="WGS84")],
    lat: Annotated[float, Query(ge=-90.0, le=90.0, allow_inf_nan=False, description="WGS84")],
    radius_m: Annotated[
        float | None,
        Query(gt=0.0, le=MAX_RADIUS_M, allow_inf_nan=False, description="uncertainty, metres"),
    ] = None,
) -> LocateResponse:
    """Borough, ward, BCU and force of a point; with radius_m, every area its circle touches."""
    # Plain def: FastAPI runs it on a worker thread, so a large circle never stalls the loop.
    return describe_location(lon, lat, radius_m)


@dataclass(frozen=True)
class Located:
    """Where a point lies, as the gazetteer found it, and its circle's areas when it has one."""

    point: PointLocation
    circle: CircleLocation | None
    street: NearestStreet | None


def locate_point(lon: float, lat: float, radius_m: float | None) -> Located:
    """The point's location, and its uncertainty circle's when it has a radius."""
    gazetteer = load_gazetteer()
    street = load_streets().nearest(lon, lat)
    if not radius_m:  # no circle, or one of no size: a point
        return Located(gazetteer.locate(lon, lat), None, street)
    circle = gazetteer.locate_circle(lon, lat, radius_m)
    return Located(circle.centre, circle, street)


def location_answer(located: Located) -> LocateResponse:
    """A location as the API answers it."""
    street = located.street
    circle = located.circle
    return LocateResponse(
        point=PointLocationOut.model_validate(located.point),
        circle=None if circle is None else CircleOut.model_validate(circle),
        street=None if street is None else NearestStreetOut.model_validate(street),
    )


def describe_location(lon: float, lat: float, radius_m: float | None) -> LocateResponse:
    """The point's location, and its uncertainty circle's when it has a radius, as answered."""
    return location_answer(locate_point(lon, lat, radius_m))
