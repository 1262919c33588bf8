"""OASIS CAP 1.2 public alerts for an incident: the message (message.py, pure), its XML
(xml.py) valid against the OASIS schema (validation.py, CAP-v1.2.xsd), and their store."""
