"""transport/topic_filter.py matches as paho's own `topic_matches_sub` does, on every pair of a
grid of filters and topics (wildcards, empty levels, `$` topics, shared subscriptions)."""

from __future__ import annotations

import itertools

import paho.mqtt.client as paho

from transport.topic_filter import TopicFilter

FILTERS = [
    "cad/calls/in", "cad/units/+/status", "cad/units/+/+", "cad/#", "#", "+", "+/+", "cad/+",
    "cad/units/#", "/cad", "cad/", "+/units/PS1/status", "$SYS/#", "$SYS/+/x", "cad/units/PS1",
    "$share/cad/cad/calls/in", "$share/g/cad/units/+/status", "$share/g/#",
]  # fmt: skip
TOPICS = [
    "cad/calls/in", "cad/calls/in/x", "cad/calls", "cad", "cad/", "/cad", "cad/units/PS1/status",
    "cad/units/PS1/avl", "cad/units//status", "cad/units/PS1", "cad/units", "$SYS/broker/x",
    "$SYS", "x/units/PS1/status", "", "/",
]  # fmt: skip


def test_it_matches_exactly_as_paho_does() -> None:
    for wildcard, topic in itertools.product(FILTERS, TOPICS):
        plain = wildcard.split("/", 2)[2] if wildcard.startswith("$share/") else wildcard
        expected = paho.topic_matches_sub(plain, topic)
        assert TopicFilter(wildcard).matches(topic) is expected, (wildcard, topic)
