"""An incident's place as EIDO carries it: a PIDF-LO document (RFC 4119, RFC 5491 shapes) with a
GML point, or a circle when the caller's position has an uncertainty radius."""

from __future__ import annotations

from lxml import etree

from cad.errors import CadError
from cad.events import Location

_GML = "http://www.opengis.net/gml"
_GS = "http://www.opengis.net/pidflo/1.0"
_WGS84 = "urn:ogc:def:crs:EPSG::4326"
_METRE = "urn:ogc:def:uom:EPSG::9001"
# A partner's document is read with entities and network access off (no XXE), and small.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class LocationUnreadableError(CadError):
    """A PIDF-LO document has no point or circle we can read."""


def pidf_lo(location: Location, entity: str) -> str:
    """The PIDF-LO document of `location` (numbers only: nothing in it needs escaping but the
    entity, an incident id of ours)."""
    pos = f"<gml:pos>{location.lat!r} {location.lon!r}</gml:pos>"
    if location.radius_m:
        shape = (
            f'<gs:Circle srsName="{_WGS84}">{pos}'
            f'<gs:radius uom="{_METRE}">{location.radius_m!r}</gs:radius></gs:Circle>'
        )
    else:
        shape = f'<gml:Point srsName="{_WGS84}">{pos}</gml:Point>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        f'xmlns:gml="{_GML}" xmlns:gs="{_GS}" entity="pres:{_attr(entity)}">'
        '<tuple id="incident"><status><gp:geopriv><gp:location-info>'
        f"{shape}"
        "</gp:location-info></gp:geopriv></status></tuple></presence>"
    )


def read_pidf_lo(document: str) -> Location:
    """The point or circle of a PIDF-LO document (the first one in it)."""
    try:
        root = etree.fromstring(document.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise LocationUnreadableError(f"locationByValue: not XML ({exc})") from exc
    pos = root.find(f".//{{{_GML}}}pos")
    if pos is None or not pos.text:
        raise LocationUnreadableError("locationByValue: no gml:pos")
    try:
        lat, lon = (float(v) for v in pos.text.split())
    except ValueError as exc:
        raise LocationUnreadableError(f"locationByValue: gml:pos {pos.text!r}") from exc
    radius = root.find(f".//{{{_GS}}}radius")
    radius_m = None
    if radius is not None and radius.text:
        if radius.get("uom", _METRE) != _METRE:
            raise LocationUnreadableError("locationByValue: a radius not in metres")
        radius_m = float(radius.text)
    try:
        return Location(lon=lon, lat=lat, radius_m=radius_m)
    except ValueError as exc:
        raise LocationUnreadableError(f"locationByValue: {exc}") from exc


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
