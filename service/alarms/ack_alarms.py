"""The acknowledgement watch with its alarm: an escalation that leaves an incident no unit
(and none could replace it) raises `tasking_exhausted`. The escalation itself, and the unit
left `unresponsive` (its `tasking_unacknowledged` alarm), are the scan's to see."""

from __future__ import annotations

import logging

from cad.supervisor import report_failure
from dispatch.ack_watch import AckWatch
from dispatch.acks import Escalation
from service.alarms.scanner import AlarmScanner

logger = logging.getLogger("cad.alarms")


class AlarmedAckWatch:
    """`AckWatch.check_once`, then the exhausted alarm of each incident it left unit-less."""

    def __init__(self, acks: AckWatch, scanner: AlarmScanner) -> None:
        self._acks = acks
        self._scanner = scanner

    async def check_once(self) -> list[Escalation]:
        escalations = await self._acks.check_once()
        for escalation in escalations:
            if not escalation.released or escalation.units_left or not escalation.ref:
                continue
            try:
                await self._scanner.escalated(escalation.area, escalation.ref)
            except Exception as error:
                # Only this alarm is lost: the incident still waits, unit-less, in plain view of
                # the queue and untouched-new alarms.
                context = {"area": escalation.area, "callsign": escalation.callsign}
                report_failure(
                    logger, "alarm_failed", error, incident_ref=escalation.ref, **context
                )
        return escalations
