"""Scenario 5's baseline: a trivial FastAPI endpoint that takes the same body and answers 201.

Run as `python -m cad.bench.trivial_app PORT`: uvicorn with uvloop and httptools, as `cad serve`.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/calls", status_code=201)
async def record(body: dict[str, Any]) -> dict[str, str]:
    """Parse the JSON body and answer; nothing else."""
    return {"call_id": str(body.get("call_id"))}


def main() -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM."""
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
        log_config=None, access_log=False,
    )  # fmt: skip


if __name__ == "__main__":
    main()
