"""An MQTT topic filter compiled once, matched against every message's topic.

paho's `topic_matches_sub` builds a matcher tree for each call (2 to 4 µs); the link matches each
message against each route's filter, so it compiles them once instead (well under a µs a match).
The rules are MQTT's: `+` is one level, `#` (last) the rest including none, a topic starting
with `$` is matched by no filter starting with a wildcard, and `$share/{group}/` names the
sharers, not the topic.
"""

from __future__ import annotations

_SHARED_PREFIX = "$share/"


class TopicFilter:
    """A topic filter (`cad/units/+/status`, `cad/#`, shared or not), matched against topics."""

    __slots__ = ("_exact", "_levels")

    def __init__(self, wildcard: str) -> None:
        if wildcard.startswith(_SHARED_PREFIX):
            wildcard = wildcard.split("/", 2)[2] if wildcard.count("/") >= 2 else ""
        levels = wildcard.split("/")
        self._levels = tuple(levels)
        self._exact = None if "+" in levels or "#" in levels else wildcard

    def matches(self, topic: str) -> bool:
        """Whether `topic` matches the filter."""
        if self._exact is not None:
            return topic == self._exact
        wanted = self._levels
        if topic.startswith("$") and wanted[0] in ("+", "#"):
            return False
        levels = topic.split("/")
        for i, want in enumerate(wanted):
            if want == "#":
                return True
            if i >= len(levels) or (want != "+" and want != levels[i]):
                return False
        return len(levels) == len(wanted)
