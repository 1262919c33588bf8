"""The bare pipelines the service is compared with, each a process of minimal paho code.

`dispatch`: call event in, one bare Lua claim, tasking out (scenario 4's baseline).
`count`: subscribe to every unit's AVL and only count (scenario 6's baseline).
Run as `python -m loadtests.bench.bare_pipeline < CONFIG_JSON`; it prints `ready` once subscribed
and, for `count`, the wall-clock time the expected number of messages had arrived.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import uuid
from dataclasses import dataclass

import paho.mqtt.client as paho
import redis
from paho.mqtt.enums import MQTTProtocolVersion

from loadtests.bench.redis_claims import bare_claim_source
from transport import paho_link


@dataclass(frozen=True)
class BareConfig:
    """Which pipeline, and where its broker, topics and (for `dispatch`) Redis keys are."""

    mode: str
    url: str
    root: str
    redis_url: str = ""
    keys: tuple[str, str] = ("", "")
    radii: str = ""
    expect: int = 0


def _dispatch(config: BareConfig, client: paho.Client) -> None:
    store = redis.Redis.from_url(config.redis_url)
    claim = store.register_script(bare_claim_source())

    def on_message(c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        call = json.loads(message.payload)
        loc = call["location"]
        callsign = claim(keys=list(config.keys), args=[loc["lon"], loc["lat"], config.radii, 1])
        if callsign is None:
            return
        name = callsign.decode()
        tasking = {
            "call_id": call["call_id"], "incident_ref": call["call_id"],
            "tasking_id": uuid.uuid4().hex,
        }  # fmt: skip
        c.publish(f"{config.root}/units/{name}/tasking", json.dumps(tasking), qos=1)

    client.on_message = on_message
    client.subscribe(f"{config.root}/calls/in", qos=1)


def _count(config: BareConfig, client: paho.Client) -> None:
    seen = [0]

    def on_message(_c: paho.Client, _u: object, _m: paho.MQTTMessage) -> None:
        seen[0] += 1
        if seen[0] == config.expect:
            print(json.dumps({"done_at": time.time(), "count": seen[0]}), flush=True)

    client.on_message = on_message
    client.subscribe(f"{config.root}/units/+/avl", qos=0)


def main() -> None:
    """Entry point: serve until SIGTERM."""
    config = BareConfig(**json.loads(sys.stdin.readline()))
    # The counter speaks MQTT v3.1.1 like the service's AVL workers: the protocol is not the gap.
    v311, v5 = MQTTProtocolVersion.MQTTv311, MQTTProtocolVersion.MQTTv5
    protocol = v311 if config.mode == "count" else v5
    client = paho_link.connect(
        config.url, f"bench-bare-{uuid.uuid4().hex[:8]}", threaded=False, protocol=protocol
    )
    (_dispatch if config.mode == "dispatch" else _count)(config, client)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:
        client.loop(0.01)  # the SUBACK, before anyone counts on this pipeline
    print("ready", flush=True)
    while not stop[0]:
        client.loop(0.05)
    client.disconnect()


if __name__ == "__main__":
    main()
