"""The kernel of the Command & Control service: settings, payload models, every Redis key name,
topics, errors under one base, logs, the incident record and type catalogue, timed waits, and
the policies every package shares (clock bounds, outages, task health and supervision).

Every other package may import it; it imports none of them (tests/test_layering.py).
"""
