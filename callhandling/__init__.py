"""Calls and incidents: the call-event consumer, the call handlers' API, grading and life cycle."""
