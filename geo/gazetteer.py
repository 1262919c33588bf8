"""The gazetteer: London's boroughs, wards and BCUs indexed once; points and circles located."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from geo.area_index import AreaIndex
from geo.bcus import BCUS, BOROUGH_BCU, MET, NO_FORCE, check_boroughs, force_of
from geo.circles import AreaLevelIndex, CircleLocator
from geo.far_away import FarAway
from geo.models import BatchLocation, Borough, CircleLocation, PointLocation, Ward
from geo.projection import geometry_to_bng, in_bng_area, to_bng
from geo.river import tidal_river

DEFAULT_RIVER_SNAP_M = 1_000.0  # the widest tidal Thames in London is under 2 km bank to bank
DEFAULT_MATERIAL_SHARE = 0.1

FloatArray = npt.NDArray[np.float64]


class Gazetteer:
    """Boroughs, wards and BCUs of London; answers where a point or an uncertainty circle lies.

    Safe to share between threads: one lock serialises the lookups, because GEOS prepared
    geometries are not thread-safe (libgeos/geos#825). Uncontended, it costs about 0.1 us.
    """

    def __init__(
        self,
        boroughs: Sequence[Borough],
        wards: Sequence[Ward],
        outline: Any,
        *,
        river_snap_m: float = DEFAULT_RIVER_SNAP_M,
        material_share: float = DEFAULT_MATERIAL_SHARE,
    ) -> None:
        check_boroughs(borough.name for borough in boroughs)
        self.boroughs = tuple(boroughs)
        self.wards = tuple(wards)
        self.river_snap_m = river_snap_m
        self._lock = threading.Lock()
        at = {borough.gss_code: index for index, borough in enumerate(self.boroughs)}
        unknown = [ward.code for ward in self.wards if ward.borough_code not in at]
        if unknown:
            raise ValueError(f"wards of no known borough: {unknown[:5]}")
        self._ward_borough = np.array([at[ward.borough_code] for ward in self.wards])
        self._bcu_codes = tuple(BCUS)
        bcu_of = [
            self._bcu_codes.index(BOROUGH_BCU[b.name]) if b.name in BOROUGH_BCU else -1
            for b in self.boroughs
        ]
        # Index -1 (no borough, or the City) must map to "no BCU" in batch lookups: sentinels.
        self._borough_bcu = np.array([*bcu_of, -1])
        self._bcu_code_array = np.array([*self._bcu_codes, ""])

        borough_shapes = [borough.geometry for borough in self.boroughs]
        bcu_shapes = [
            shapely.union_all([b.geometry for b in self.boroughs if BOROUGH_BCU.get(b.name) == bcu])
            for bcu in self._bcu_codes
        ]
        self._boroughs = AreaIndex(borough_shapes)
        self._wards = AreaIndex([ward.geometry for ward in self.wards])
        self._bcus = AreaIndex(bcu_shapes)
        self._far = FarAway(bcu_shapes)
        self._river = tidal_river(
            geometry_to_bng(outline), geometry_to_bng(shapely.union_all(borough_shapes))
        )
        wards_bng = geometry_to_bng(np.array([ward.geometry for ward in self.wards]))
        self._borough_wards = [
            (members, wards_bng[members])
            for members in (np.flatnonzero(self._ward_borough == b) for b in range(len(at)))
        ]
        self._circles = CircleLocator(
            [
                AreaLevelIndex("bcu", self._bcu_codes, tuple(BCUS.values()), self._bcus),
                AreaLevelIndex(
                    "borough",
                    tuple(b.gss_code for b in self.boroughs),
                    tuple(b.name for b in self.boroughs),
                    self._boroughs,
                ),
                AreaLevelIndex(
                    "ward",
                    tuple(w.code for w in self.wards),
                    tuple(w.name for w in self.wards),
                    self._wards,
                ),
            ],
            material_share=material_share,
        )

    def locate(self, lon: float, lat: float) -> PointLocation:
        """Borough, ward, BCU and force of a WGS84 point; the river and beyond London flagged."""
        with self._lock:
            return self._locate(lon, lat)

    def locate_circle(self, lon: float, lat: float, radius_m: float) -> CircleLocation:
        """Every area an uncertainty circle (metres, measured in BNG) touches, by share of it."""
        with self._lock:
            return self._circles.locate(self._locate(lon, lat), radius_m)

    def locate_many(self, lons: FloatArray, lats: FloatArray) -> BatchLocation:
        """Borough, ward and BCU of arrays of points, vectorised (no river or outside handling)."""
        lons = np.asarray(lons, dtype=np.float64)
        lats = np.asarray(lats, dtype=np.float64)
        if lons.shape != lats.shape or lons.ndim != 1:
            raise ValueError(f"lons and lats must be 1-d and alike: {lons.shape}, {lats.shape}")
        with self._lock:
            borough = self._boroughs.locate_many(lons, lats)
            ward = self._wards.locate_many(lons, lats)
        # Generalised ward outlines stray over full-resolution borough edges: trust the borough.
        ward[(ward < 0) | (self._ward_borough[ward] != borough)] = -1
        bcu = self._bcu_code_array[self._borough_bcu[borough]]
        return BatchLocation(borough=borough, ward=ward, bcu=bcu, in_force_area=bcu != "")

    def _locate(self, lon: float, lat: float) -> PointLocation:
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise ValueError(f"not a WGS84 point: lon={lon!r}, lat={lat!r}")
        borough = self._boroughs.locate(lon, lat)
        if borough >= 0:
            return self._in_borough(lon, lat, borough, None)
        if not in_bng_area(lon, lat):
            bcu, distance = self._far.nearest(lon, lat)
            return self._unassigned(lon, lat, self._bcu_codes[bcu], distance, on_river=False)
        x, y = to_bng(lon, lat)
        borough, distance = self._boroughs.nearest(x, y)
        on_river = bool(shapely.contains_xy(self._river, x, y))
        if on_river and distance <= self.river_snap_m:
            return self._in_borough(lon, lat, borough, distance)
        return self._unassigned(lon, lat, self._nearest_bcu(x, y), distance, on_river=on_river)

    def _in_borough(
        self, lon: float, lat: float, index: int, distance: float | None
    ) -> PointLocation:
        borough = self.boroughs[index]
        ward = self.wards[self._ward_in(lon, lat, index)]
        bcu = BOROUGH_BCU.get(borough.name)
        force = force_of(borough.name)
        nearest_bcu = bcu if bcu is not None else self._nearest_bcu(*to_bng(lon, lat))
        return PointLocation(
            lon=lon,
            lat=lat,
            borough=borough.name,
            gss_code=borough.gss_code,
            ward=ward.name,
            ward_code=ward.code,
            bcu=bcu,
            bcu_name=None if bcu is None else BCUS[bcu],
            nearest_bcu=nearest_bcu,
            force=force,
            in_force_area=force == MET,
            on_river=distance is not None,
            outside_force_area=False,
            distance_to_boundary_m=distance,
            eta_context="inner" if borough.inner else "outer",
        )

    def _nearest_bcu(self, x: float, y: float) -> str:
        return self._bcu_codes[self._bcus.nearest(x, y)[0]]

    def _ward_in(self, lon: float, lat: float, borough: int) -> int:
        ward = self._wards.locate(lon, lat)
        if ward >= 0 and self._ward_borough[ward] == borough:
            return ward
        # Off the generalised ward outlines (0.2% of points), or on the river: nearest ward.
        members, shapes = self._borough_wards[borough]
        distances = shapely.distance(shapes, shapely.Point(*to_bng(lon, lat)))
        return int(members[int(np.argmin(distances))])

    def _unassigned(
        self, lon: float, lat: float, nearest_bcu: str, distance: float, *, on_river: bool
    ) -> PointLocation:
        return PointLocation(
            lon=lon,
            lat=lat,
            borough=None,
            gss_code=None,
            ward=None,
            ward_code=None,
            bcu=None,
            bcu_name=None,
            nearest_bcu=nearest_bcu,
            force=NO_FORCE,
            in_force_area=False,
            on_river=on_river,
            outside_force_area=not on_river,
            distance_to_boundary_m=distance,
            eta_context="outer",
        )
