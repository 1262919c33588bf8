"""Structured logs: one JSON object a line, naming the call id, incident ref and callsign."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Caller number and free text must never reach a log line, whoever passes them.
_REDACTED_FIELDS = frozenset({"cli", "text", "caller_number"})


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with its structured fields at top level."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({k: v for k, v in fields.items() if k not in _REDACTED_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", path: Path | None = None) -> None:
    """Send every log record as JSON lines to stderr, or appended to the file at `path`."""
    handler = logging.StreamHandler(sys.stderr) if path is None else logging.FileHandler(path)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The JSON lines never name the source line, thread or process: skip finding them out, a
    # stack walk and three lookups on every record (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def log(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    """Log `event` with structured fields (call_id, incident_ref, callsign, ...)."""
    logger.log(level, event, extra={"fields": fields})
