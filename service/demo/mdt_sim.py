"""The fleet simulator: one MQTT client per unit, each with its own login and last will.

The demo and load tests both run it. Deterministic with a seed: each unit draws its reaction
and on-scene times from its own generator, seeded by the fleet seed and its callsign.
"""

from __future__ import annotations

import asyncio

from cad.topics import Topics
from dispatch.units import Unit
from service.demo.sim_unit import FleetTally, SimPace, SimulatedMdt, TaskingSeen
from transport.broker_security import BrokerCredentials

# Connecting hundreds of MDTs at once is fine for mosquitto, but give up on a broker that is down.
_CONNECT_WITHIN_S = 30.0


def _ignore(_callsign: str, _tasking: object, _arrived: float) -> None:
    return None


class SimulatedFleet:
    """Every unit's MDT, in one asyncio process."""

    def __init__(
        self,
        units: list[Unit],
        credentials: BrokerCredentials,
        *,
        mqtt_url: str,
        topics: Topics,
        seed: int,
        time_scale: float,
        on_tasking: TaskingSeen = _ignore,
        brokers: str = "",
    ) -> None:
        # A moving unit reports every 5 simulated seconds, but not more than twice a real second.
        pace = SimPace(time_scale=time_scale, avl_every_s=max(5.0 / time_scale, 0.5))
        self.tally = FleetTally()
        self.mdts = [
            SimulatedMdt(
                unit,
                credentials.unit_password(unit.callsign),
                mqtt_url=mqtt_url,
                topics=topics,
                seed=seed,
                pace=pace,
                tally=self.tally,
                on_tasking=on_tasking,
                brokers=brokers,
            )
            for unit in units
        ]
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def cleared(self) -> int:
        """Jobs the fleet has cleared so far."""
        return self.tally.cleared

    async def start(self) -> None:
        """Connect every MDT; return once all are connected and subscribed."""
        self._tasks = [asyncio.create_task(m.run(), name=m.unit.callsign) for m in self.mdts]
        async with asyncio.timeout(_CONNECT_WITHIN_S):
            await asyncio.gather(*(m.connected.wait() for m in self.mdts))

    async def stop(self) -> None:
        """Disconnect every MDT cleanly (no last wills: the fleet is going off duty)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
