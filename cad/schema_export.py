"""The MQTT payloads' JSON schemas, written to `cad/schemas/` by `python -m cad.schema_export`."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from cad.alarm_record import Alarm
from cad.events import AvlFix, CallEvent, DeadLetter, StatusReport, Tasking

PAYLOADS: dict[str, type[BaseModel]] = {
    "call_event": CallEvent,
    "avl_fix": AvlFix,
    "status_report": StatusReport,
    "tasking": Tasking,
    "dead_letter": DeadLetter,
    "alarm": Alarm,
}


def render(model: type[BaseModel]) -> str:
    """The schema of one payload model as stable, indented JSON text."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def schema_dir() -> Path:
    """Where the committed schema files live."""
    return Path(str(resources.files("cad"))) / "schemas"


def write_all() -> list[Path]:
    """Regenerate every committed schema file."""
    out = schema_dir()
    out.mkdir(exist_ok=True)
    written = []
    for name, model in PAYLOADS.items():
        path = out / f"{name}.v1.json"
        path.write_text(render(model))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(written_path)
