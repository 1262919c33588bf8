"""Stored records that do not parse (a script bug's partial incident hash, a mangled unit entry):
a list leaves them out, a request for one by name is refused (409); each is logged and counted
once a request."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Literal

from prometheus_client import Counter
from pydantic import ValidationError

from cad.errors import UnreadableRecordError
from cad.logs import log

logger = logging.getLogger("cad.records")

RecordKind = Literal["incident", "unit"]


def unreadable_record(
    kind: RecordKind, area: str, name: str, error: Exception
) -> UnreadableRecordError:
    """The error naming a record and what is wrong with it, without its values (an incident hash
    holds a caller's hashed number): `lon: Field required; received_ms: ...`."""
    if isinstance(error, ValidationError):
        reason = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in error.errors()
        )
    else:
        reason = f"{type(error).__name__}: {error}"
    return UnreadableRecordError(kind, area, name, reason)


def log_unreadable(error: UnreadableRecordError) -> None:
    """One WARNING line naming the record (`incident_ref` or `callsign`) and what is wrong."""
    name_field = "incident_ref" if error.kind == "incident" else "callsign"
    log(logger, logging.WARNING, "record_unreadable", kind=error.kind, area=error.area,
        **{name_field: error.name}, error=error.reason)  # fmt: skip


class UnreadableRecords:
    """The unreadable records one request (or one event stream) met: each is logged and counted
    the first time only, however often the request reads it."""

    def __init__(self, counter: Counter) -> None:
        self._counter = counter
        self._seen: dict[tuple[str, str, str], UnreadableRecordError] = {}

    def report(self, error: UnreadableRecordError) -> None:
        """Log and count the record, unless this request did already."""
        key = (error.kind, error.area, error.name)
        if key in self._seen:
            return
        self._seen[key] = error
        self._counter.labels(kind=error.kind).inc()
        log_unreadable(error)

    def error_for(self, kind: RecordKind, area: str, name: str) -> UnreadableRecordError | None:
        """Why this request found the record unreadable, if it did."""
        return self._seen.get((kind, area, name))

    @contextlib.contextmanager
    def reported(self) -> Iterator[None]:
        """Report an UnreadableRecordError raised inside, which goes on (to be answered 409)."""
        try:
            yield
        except UnreadableRecordError as exc:
            self.report(exc)
            raise
