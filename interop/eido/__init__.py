"""NENA EIDO (NENA-STA-021.1): our incidents as EIDO JSON, a partner's EIDO as facts, and
validation against a mended copy of NENA's schema (schema/MENDS.md)."""
