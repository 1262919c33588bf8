"""Scenario 5's baseline: a trivial FastAPI endpoint that takes the same body and answers 201.

Run as `python -m loadtests.bench.trivial_app PORT`: uvicorn with uvloop and httptools, as
`cad serve`.
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


def serve(application: FastAPI, port: int) -> None:
    """Serve on 127.0.0.1:`port` until SIGTERM, with `cad serve`'s loop, parser and logging."""
    uvicorn.run(
        application, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
        log_config=None, access_log=False,
    )  # fmt: skip


def main() -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM."""
    serve(app, int(sys.argv[1]))


if __name__ == "__main__":
    main()
