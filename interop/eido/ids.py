"""EIDO identifiers of our incidents and calls: `urn:emergency:uid:incidentid:{ref}:{agency}`
(NENA's form), the ref percent-encoded so that it reads back exactly (it holds a space and a
slash: `CAD 0042/04DEC26`)."""

from __future__ import annotations

from urllib.parse import quote, unquote

_INCIDENT = "urn:emergency:uid:incidentid:"
_CALL = "urn:emergency:uid:callid:"


def incident_id(ref: str, agency: str) -> str:
    """The EIDO (and incident tracking) id of our incident `ref`."""
    return f"{_INCIDENT}{quote(ref, safe='')}:{agency}"


def call_id_urn(call_id: str, agency: str) -> str:
    """The EIDO id of one of our calls."""
    return f"{_CALL}{quote(call_id, safe='')}:{agency}"


def our_ref(tracking_id: str, agency: str) -> str | None:
    """Our incident ref if `tracking_id` is one of our incident ids, else None."""
    suffix = f":{agency}"
    if not (tracking_id.startswith(_INCIDENT) and tracking_id.endswith(suffix)):
        return None
    encoded = tracking_id[len(_INCIDENT) : -len(suffix)]
    return unquote(encoded) if encoded and ":" not in encoded else None
