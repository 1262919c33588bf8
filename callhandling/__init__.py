"""Calls and incidents: the call intake (MQTT and HTTP alike), incident records and references,
duplicate scoring, grading and the incident life cycle."""
