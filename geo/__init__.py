"""Where things are in London, how far apart, and how long a blue-light run takes. Pure, no I/O."""

from geo.bcus import BCUS, BOROUGH_BCU, CITY_OF_LONDON
from geo.circles import MAX_RADIUS_M
from geo.data_loading import GeoDataError
from geo.distance import distance_m, distances_m
from geo.eta import ETA_CONTEXTS, EtaContext, eta_seconds, eta_seconds_many
from geo.gazetteer import Gazetteer
from geo.jurisdiction import Jurisdiction, NeighbourForces
from geo.loading import load_gazetteer, load_jurisdictions
from geo.models import AreaShare, BatchLocation, CircleLocation, PointLocation
from geo.place_loading import load_places, load_streets
from geo.place_search import FoundPlace, PlaceSearch
from geo.places import PlaceHit, PlaceProvider
from geo.streets import NearestStreet

__all__ = [
    "BCUS",
    "BOROUGH_BCU",
    "CITY_OF_LONDON",
    "ETA_CONTEXTS",
    "MAX_RADIUS_M",
    "AreaShare",
    "BatchLocation",
    "CircleLocation",
    "EtaContext",
    "FoundPlace",
    "Gazetteer",
    "GeoDataError",
    "Jurisdiction",
    "NearestStreet",
    "NeighbourForces",
    "PlaceHit",
    "PlaceProvider",
    "PlaceSearch",
    "PointLocation",
    "distance_m",
    "distances_m",
    "eta_seconds",
    "eta_seconds_many",
    "load_gazetteer",
    "load_jurisdictions",
    "load_places",
    "load_streets",
]
