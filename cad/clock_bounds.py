"""Bounds on the times clients write into their messages, checked against the service's clock.

A client's clock is not trusted: a call stamped 9999-12-31 queued behind every E and R incident
and never alarmed, and an AVL fix stamped hours ahead kept its unit looking fresh for hours. A
stamp may lead the service's clock by at most the allowed skew, and trail it by at most the
maximum age of its kind of message. Pure: the caller says what time it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cad.settings import Settings

# Ages and leads are named in whole seconds up to here, beyond it in scientific notation.
_PLAIN_SECONDS_UP_TO = 1e7


@dataclass(frozen=True)
class ClockBounds:
    """How far a client's stamp may lead the service's clock (`skew_s`) and trail it
    (`max_age_s`; None: any age)."""

    skew_s: float
    max_age_s: float | None

    def refusal(self, field: str, stamp: datetime, *, now: datetime) -> str | None:
        """Why `stamp` (the value of `field`) is refused at `now`; None when it is in bounds."""
        return clock_refusal(field, stamp, now=now, skew_s=self.skew_s, max_age_s=self.max_age_s)


def clock_refusal(
    field: str, stamp: datetime, *, now: datetime, skew_s: float, max_age_s: float | None
) -> str | None:
    """Why a client's timestamp is refused, naming the field; None when it is within bounds.
    Both times must be timezone-aware."""
    ahead_s = (stamp - now).total_seconds()
    if ahead_s > skew_s:
        return (
            f"{field}: {stamp.isoformat()} is {_seconds(ahead_s)} ahead of the service clock "
            f"(allowed skew {_seconds(skew_s)})"
        )
    if max_age_s is not None and -ahead_s > max_age_s:
        return (
            f"{field}: {stamp.isoformat()} is {_seconds(-ahead_s)} behind the service clock "
            f"(maximum age {_seconds(max_age_s)})"
        )
    return None


def _seconds(value: float) -> str:
    if value < _PLAIN_SECONDS_UP_TO:
        return f"{value:.0f} s"
    return f"{value:.2g} s"


def call_clock(settings: Settings) -> ClockBounds:
    """The bounds on a call event's `received_at`."""
    return ClockBounds(settings.clock_skew_s, settings.max_call_age_s)


def fix_clock(settings: Settings) -> ClockBounds:
    """The bounds on an AVL fix's `ts`."""
    return ClockBounds(settings.clock_skew_s, settings.max_fix_age_s)


def status_clock(settings: Settings) -> ClockBounds:
    """The bounds on a status report's `ts` (a last will's is exempt from the age: see
    dispatch/mdt_consumer.py)."""
    return ClockBounds(settings.clock_skew_s, settings.max_status_age_s)
