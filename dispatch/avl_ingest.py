"""The AVL worker's batch: fixes parsed as they arrive, then written to Redis together."""

from __future__ import annotations

import logging
import time
from typing import NamedTuple

import redis
from redis.exceptions import RedisError

from cad.clock_bounds import ClockBounds
from cad.events import AvlFix, DeadLetter, utcnow
from cad.keys import GlobalKeys
from cad.logs import log
from cad.payloads import Rejection, parse_payload
from cad.topics import Topics
from dispatch.avl import PositionFix, queue_fixes
from transport.deadletter import DEADLETTER_STREAM, STREAM_MAXLEN, dead_letter

logger = logging.getLogger("cad.avl")


class _Received(NamedTuple):
    callsign: str
    topic: str
    payload: bytes
    fix: AvlFix
    received_ms: int


class AvlIngest:
    """Collects valid fixes and rejections; `flush` writes them in one pipelined round trip."""

    def __init__(
        self,
        store: redis.Redis,
        topics: Topics,
        *,
        max_payload_bytes: int,
        clock_bounds: ClockBounds,
        max_batch: int = 2000,
        max_wait_s: float = 0.02,
    ) -> None:
        self._store = store
        self._topics = topics
        self._max_payload_bytes = max_payload_bytes
        self._clock_bounds = clock_bounds
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        # A unit's area never changes: each callsign is looked up once.
        self._areas: dict[str, str] = {}
        self._fixes: list[_Received] = []
        self._letters: list[DeadLetter] = []
        self._first_at: float | None = None
        self.written = 0

    def add(self, topic: str, payload: bytes) -> None:
        """Take one message from `{root}/units/{callsign}/avl` into the batch."""
        if self._first_at is None:
            self._first_at = time.monotonic()
        callsign = self._topics.callsign_of(topic)
        if callsign is None:
            self._reject(topic, payload, "topic: no callsign")
            return
        parsed = parse_payload(AvlFix, payload, max_bytes=self._max_payload_bytes)
        if isinstance(parsed, Rejection):
            self._reject(topic, payload, parsed.reason)
            return
        now = utcnow()
        refused = self._clock_bounds.refusal("ts", parsed.ts, now=now)
        if refused is not None:
            self._reject(topic, payload, refused)
            return
        self._fixes.append(_Received(callsign, topic, payload, parsed, int(now.timestamp() * 1000)))

    def wait_s(self, now: float) -> float | None:
        """How long until the batch is due; None while it is empty."""
        if self._first_at is None:
            return None
        if len(self._fixes) >= self._max_batch:
            return 0.0
        return max(0.0, self._first_at + self._max_wait_s - now)

    def flush(self) -> list[DeadLetter]:
        """Write the batch; the dead letters it recorded, for the caller to publish."""
        received, self._fixes, letters, self._letters = self._fixes, [], self._letters, []
        self._first_at = None
        if not received and not letters:
            return []
        try:
            areas = self._areas_of({r.callsign for r in received})
            fixes = []
            for r in received:
                area = areas.get(r.callsign)
                if area is None:
                    reason = "callsign: unknown unit"
                    letters.append(dead_letter(topic=r.topic, payload=r.payload, reason=reason))
                else:
                    fixes.append(PositionFix(area, r.callsign, r.fix, r.received_ms))
            with self._store.pipeline(transaction=False) as pipe:
                queue_fixes(pipe, fixes)
                for letter in letters:
                    pipe.xadd(
                        DEADLETTER_STREAM, {"letter": letter.model_dump_json()},
                        maxlen=STREAM_MAXLEN, approximate=True,
                    )  # fmt: skip
                pipe.execute()
        except RedisError as exc:
            # Positions are perishable: the next fixes replace a lost batch within seconds.
            log(logger, logging.WARNING, "avl_batch_dropped", size=len(received), error=str(exc))
            return []
        self.written += len(fixes)
        return letters

    def _areas_of(self, callsigns: set[str]) -> dict[str, str]:
        unknown = [c for c in callsigns if c not in self._areas]
        if unknown:
            found = self._store.hmget(GlobalKeys().unit_area, unknown)
            self._areas.update({c: a for c, a in zip(unknown, found, strict=True) if a is not None})
        return self._areas

    def _reject(self, topic: str, payload: bytes, reason: str) -> None:
        self._letters.append(dead_letter(topic=topic, payload=payload, reason=reason))
