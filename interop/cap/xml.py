"""A CAP message as CAP 1.2 XML (urn:oasis:names:tc:emergency:cap:1.2), elements in the order
the OASIS schema requires."""

from __future__ import annotations

from lxml import etree

from interop.cap.message import AlertArea, AlertKind, CapMessage, PolygonArea

NS = "urn:oasis:names:tc:emergency:cap:1.2"

# What each kind of alert is in CAP's vocabulary: category, event, response, urgency, severity.
_KIND: dict[AlertKind, tuple[str, str, str, str, str]] = {
    AlertKind.ROAD_CLOSURE: ("Transport", "Road closure", "Avoid", "Immediate", "Moderate"),
    AlertKind.EVACUATION: ("Safety", "Evacuation", "Evacuate", "Immediate", "Severe"),
}


def cap_xml(message: CapMessage, *, sender_name: str) -> bytes:
    """The message's XML document (UTF-8, with its declaration)."""
    # CAP's namespace as the default: lxml takes None for it, which its stubs do not allow.
    alert = etree.Element(f"{{{NS}}}alert", nsmap={None: NS})  # type: ignore[dict-item]
    _add(alert, "identifier", message.identifier)
    _add(alert, "sender", message.sender)
    _add(alert, "sent", message.sent)
    _add(alert, "status", "Actual")
    _add(alert, "msgType", message.msg_type)
    _add(alert, "scope", "Public")
    if message.note:
        _add(alert, "note", message.note)
    if message.references:
        _add(alert, "references", " ".join(message.references))
    _add(alert, "incidents", message.incident_id)
    content = message.content
    category, event, response, urgency, severity = _KIND[content.kind]
    info = _add(alert, "info")
    _add(info, "language", "en-GB")
    _add(info, "category", category)
    _add(info, "event", event)
    _add(info, "responseType", response)
    _add(info, "urgency", "Past" if message.msg_type == "Cancel" else urgency)
    _add(info, "severity", severity)
    _add(info, "certainty", "Observed")
    _add(info, "expires", message.expires)
    _add(info, "senderName", sender_name)
    _add(info, "headline", content.headline)
    _add(info, "description", content.description)
    _add(info, "instruction", content.instruction)
    _area(_add(info, "area"), content.area)
    document: bytes = etree.tostring(alert, xml_declaration=True, encoding="UTF-8")
    return document


def _area(area: etree._Element, where: AlertArea) -> None:
    _add(area, "areaDesc", where.description)
    if isinstance(where, PolygonArea):
        # CAP's polygon: "lat,lon" pairs, the first repeated last (so at least four).
        ring = [*where.polygon, where.polygon[0]]
        _add(area, "polygon", " ".join(f"{lat!r},{lon!r}" for lon, lat in ring))
    else:
        c = where.circle
        # CAP's circle: "lat,lon radius" with the radius in kilometres.
        _add(area, "circle", f"{c.lat!r},{c.lon!r} {c.radius_m / 1000:g}")


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        child.text = text
    return child
