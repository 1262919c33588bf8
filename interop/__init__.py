"""Interop with other agencies: incidents to and from them as NENA EIDO JSON (eido/), public
alerts as OASIS CAP 1.2 XML (cap/), the partners (partners.py), the durable outbox that conveys
EIDOs to them (outbox.py) and what arrives from them (inbound.py, partner_updates.py).

The mappings (eido/export.py, eido/reading.py, cap/message.py) are pure; the adapters read and
write Redis, MQTT and HTTPS at the edges (docs/interop.md)."""
