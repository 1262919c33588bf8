"""MQTT topic names: the one place that spells them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    """Topic names under one configurable root (`cad` by default)."""

    root: str = "cad"

    @property
    def calls_in(self) -> str:
        return f"{self.root}/calls/in"

    @property
    def deadletter(self) -> str:
        return f"{self.root}/deadletter"

    @property
    def alarms(self) -> str:
        """Every alarm's change of state (raised, acknowledged, cleared), QoS 1."""
        return f"{self.root}/alarms"

    def tasking(self, callsign: str) -> str:
        return f"{self.root}/units/{callsign}/tasking"

    def status(self, callsign: str) -> str:
        return f"{self.root}/units/{callsign}/status"

    def status_reply(self, callsign: str) -> str:
        """Where the service tells an MDT that a status report was refused, and why."""
        return f"{self.root}/units/{callsign}/reply"

    def notice(self, callsign: str) -> str:
        """Where control tells an MDT what a dispatcher did to its unit: a status set on the
        crew's behalf, a stand-down, the old tasking of a divert (docs/mdt.md)."""
        return f"{self.root}/units/{callsign}/notice"

    def avl(self, callsign: str) -> str:
        return f"{self.root}/units/{callsign}/avl"

    def incident(self, ref: str) -> str:
        # An incident ref holds a space and a slash ("CAD 1234/22NOV26"): neither may split a topic.
        return f"{self.root}/incidents/{ref.replace(' ', '_').replace('/', '-')}"

    def interop_out(self, agency: str) -> str:
        """Where a partner agency is sent EIDOs (QoS 1): `agency` is its id in the partners file."""
        return f"{self.root}/interop/out/{agency}"

    def interop_in(self, agency: str) -> str:
        """Where a partner agency's EIDOs (answers, updates, its own incidents) arrive (QoS 1)."""
        return f"{self.root}/interop/in/{agency}"

    @property
    def all_interop_in(self) -> str:
        return f"{self.root}/interop/in/+"

    def agency_of(self, topic: str) -> str | None:
        """The agency of a `{root}/interop/in/{agency}` topic, or None for any other topic."""
        prefix = f"{self.root}/interop/in/"
        agency = topic.removeprefix(prefix)
        return agency if topic.startswith(prefix) and agency and "/" not in agency else None

    @property
    def all_status(self) -> str:
        return f"{self.root}/units/+/status"

    @property
    def all_avl(self) -> str:
        return f"{self.root}/units/+/avl"

    def all_avl_shared(self, group: str) -> str:
        """Every unit's AVL as a shared subscription: the AVL workers split the fixes."""
        return f"$share/{group}/{self.all_avl}"

    def callsign_of(self, topic: str) -> str | None:
        """The callsign in a `{root}/units/{callsign}/...` topic, or None for any other topic."""
        parts = topic.split("/")
        root_parts = self.root.split("/")
        n = len(root_parts)
        if len(parts) != n + 3 or parts[:n] != root_parts or parts[n] != "units":
            return None
        return parts[n + 1] or None
