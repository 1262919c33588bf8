"""The broker tier's candidates measured (docs/reliability.md, "Broker tier"): each started on
free loopback ports in a directory of its own, then its start-up time, a QoS 1 storm's rate and
latency, and what a kill -9 of one node mid-storm loses.

    python -m loadtests.broker_candidates mosquitto|nats|rabbitmq

- mosquitto: two independent brokers; the subscriber holds a persistent session on each (as the
  service's intake does), the publisher fails over from the first to the second.
- nats: three nats-server nodes in one cluster, JetStream and MQTT on each, the MQTT streams
  with three replicas; subscriber and publisher fail over through the list.
- rabbitmq: three RabbitMQ nodes clustered by classic peer discovery, the MQTT plugin's durable
  queues quorum queues; subscriber and publisher fail over through the list.

The clients speak MQTT 3.1.1 (all three take it), QoS 1, paho in threads. Storm 1: 2,000
messages as fast as a window of 100 unacknowledged allows, timing publish to delivery. Storm 2:
600 at 200 a second, node 0 (where both clients start) killed -9 after the first 200; the
publisher sends again whatever had no PUBACK on the next node. Lost: acknowledged (PUBACK) and
never delivered.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from cad.errors import CadError
from service.servers import LOOPBACK, free_port

WINDOW = 100
READY_WITHIN_S = 300.0


class CandidateError(CadError):
    """A candidate did not start, or its MQTT did not answer in time."""


def _no_delay(_c: paho.Client, _u: object, sock: paho.SocketLike) -> None:
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _client(client_id: str, *, clean: bool) -> paho.Client:
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean,
        protocol=MQTTProtocolVersion.MQTTv311,
    )  # fmt: skip
    client.on_socket_open = _no_delay
    return client


def _mqtt_ready(port: int) -> None:
    """Wait until a QoS 1 publish on `port` is acknowledged (a cluster's MQTT answers only once
    its streams or queues have leaders)."""
    deadline = time.monotonic() + READY_WITHIN_S
    while time.monotonic() < deadline:
        client = _client(f"probe-{port}", clean=True)
        try:
            client.connect(LOOPBACK, port)
            client.loop_start()
            info = client.publish("probe/ready", b"x", qos=1)
            info.wait_for_publish(2)
            if info.is_published():
                return
        except (OSError, RuntimeError, ValueError):
            pass
        finally:
            client.disconnect()
            client.loop_stop()
        time.sleep(0.2)
    raise CandidateError(f"no MQTT PUBACK on {LOOPBACK}:{port} within {READY_WITHIN_S}s")


@dataclass
class Tier:
    """The nodes of a candidate: their processes and MQTT ports; `dual`: independent brokers
    (the subscriber holds a session on each) rather than one cluster."""

    dual: bool
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    # RabbitMQ's nodes start an epmd of their own on this port, a daemon outside their group.
    epmd_port: str | None = None

    def kill(self, node: int) -> None:
        """kill -9 the node: every process of its group (a wrapper script and its VM)."""
        os.killpg(self.procs[node].pid, signal.SIGKILL)
        self.procs[node].wait()

    def stop(self) -> None:
        """Stop every node still running, and whatever it started (epmd included)."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if self.epmd_port is not None:
            subprocess.run(["epmd", "-port", self.epmd_port, "-kill"], check=False,
                           capture_output=True)  # fmt: skip

    def start(self, argv: list[str], workdir: Path, env: dict[str, str] | None = None) -> None:
        """Start one node in a process group of its own."""
        log = (workdir / "node.log").open("wb")
        proc = subprocess.Popen(
            argv, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip
        self.procs.append(proc)
        log.close()


def mosquitto_pair(root: Path) -> Tier:
    """Two mosquittos, each persisting its sessions as the embedded one does."""
    tier = Tier(dual=True)
    for n in range(2):
        workdir = root / f"mosquitto-{n}"
        workdir.mkdir()
        port = free_port()
        (workdir / "mosquitto.conf").write_text(
            f"listener {port} {LOOPBACK}\nuser {os.environ.get('USER', 'root')}\n"
            f"persistence true\npersistence_location {workdir}/\nautosave_interval 1\n"
            "max_queued_messages 100000\nmax_inflight_messages 200\nallow_anonymous true\n"
            "set_tcp_nodelay true\npersistent_client_expiration 7d\n"
        )
        tier.start(["mosquitto", "-c", str(workdir / "mosquitto.conf")], workdir)
        tier.ports.append(port)
    return tier


def nats_cluster(root: Path) -> Tier:
    """Three nats-server nodes: one cluster, JetStream and MQTT (streams of 3 replicas) on each."""
    tier = Tier(dual=False)
    routes = [free_port() for _ in range(3)]
    listed = ", ".join(f"nats-route://{LOOPBACK}:{p}" for p in routes)
    for n in range(3):
        workdir = root / f"nats-{n}"
        workdir.mkdir()
        mqtt = free_port()
        (workdir / "nats.conf").write_text(
            f"server_name: n{n}\nlisten: {LOOPBACK}:{free_port()}\n"
            f'jetstream {{ store_dir: "{workdir}/js", max_memory_store: 64MB, '
            "max_file_store: 1GB }\n"
            f"cluster {{ name: cadmq, listen: {LOOPBACK}:{routes[n]}, routes: [{listed}] }}\n"
            f"mqtt {{ listen: {LOOPBACK}:{mqtt}, stream_replicas: 3 }}\n"
        )
        tier.start(["nats-server", "-c", str(workdir / "nats.conf")], workdir)
        tier.ports.append(mqtt)
    return tier


def rabbitmq_cluster(root: Path) -> Tier:
    """Three RabbitMQ nodes (their own epmd port and cookie), clustered by classic peer
    discovery, the MQTT plugin on each with quorum queues for durable sessions."""
    tier = Tier(dual=False)
    home = root / "home"
    home.mkdir()
    cookie = home / ".erlang.cookie"
    cookie.write_text("cad-broker-candidates")
    cookie.chmod(0o400)
    epmd = str(free_port())
    tier.epmd_port = epmd
    names = [f"cadmq{n}@localhost" for n in range(3)]
    peers = "".join(
        f"cluster_formation.classic_config.nodes.{i + 1} = {name}\n" for i, name in enumerate(names)
    )
    for n, name in enumerate(names):
        workdir = root / f"rabbitmq-{n}"
        workdir.mkdir()
        mqtt = free_port()
        conf = workdir / "rabbitmq.conf"
        conf.write_text(
            f"listeners.tcp.default = {LOOPBACK}:{free_port()}\n"
            f"mqtt.listeners.tcp.default = {LOOPBACK}:{mqtt}\nmqtt.allow_anonymous = true\n"
            "mqtt.durable_queue_type = quorum\n"
            "cluster_formation.peer_discovery_backend = classic_config\n" + peers
        )
        (workdir / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")
        env = os.environ | {
            "HOME": str(home), "RABBITMQ_NODENAME": name, "ERL_EPMD_PORT": epmd,
            "RABBITMQ_DIST_PORT": str(free_port()), "RABBITMQ_CONFIG_FILE": str(conf),
            "RABBITMQ_MNESIA_BASE": str(workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(workdir / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(workdir / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(workdir / "pid"),
        }  # fmt: skip
        tier.start(["/usr/lib/rabbitmq/bin/rabbitmq-server"], workdir, env)
        tier.ports.append(mqtt)
    return tier


CANDIDATES: dict[str, Callable[[Path], Tier]] = {
    "mosquitto": mosquitto_pair, "nats": nats_cluster, "rabbitmq": rabbitmq_cluster,
}  # fmt: skip


class Subscriber:
    """Persistent QoS 1 sessions on `storm/#`: one on each broker (`dual`), or one that moves
    to the next node when its own is lost; records each message's publish-to-delivery time."""

    def __init__(self, ports: list[int], *, dual: bool) -> None:
        self.latency_s: dict[int, float] = {}
        self._lock = threading.Lock()
        self._clients: list[paho.Client] = []
        for n, homes in enumerate([[p] for p in ports] if dual else [ports]):
            self._clients.append(self._connect(f"sub-{n}", homes))

    def _connect(self, client_id: str, homes: list[int]) -> paho.Client:
        client = _client(client_id, clean=False)
        turn = [0]

        def on_connect(c: paho.Client, _u: object, _f: object, _r: object, _p: object) -> None:
            c.subscribe("storm/#", qos=1)

        def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
            sent = json.loads(message.payload)
            with self._lock:
                self.latency_s.setdefault(sent["n"], time.monotonic() - sent["t"])

        def on_disconnect(c: paho.Client, _u: object, _f: object, _r: object, _p: object) -> None:
            if len(homes) > 1:  # a cluster: the session lives on, on the next node
                turn[0] += 1
                c.connect_async(LOOPBACK, homes[turn[0] % len(homes)], keepalive=5)

        client.on_connect, client.on_message = on_connect, on_message
        client.on_disconnect = on_disconnect
        client.reconnect_delay_set(1, 1)
        client.connect(LOOPBACK, homes[0], keepalive=5)
        client.loop_start()
        return client

    def received(self) -> set[int]:
        """The message numbers delivered so far."""
        with self._lock:
            return set(self.latency_s)

    def clear(self) -> None:
        """Forget what was delivered (between storms)."""
        with self._lock:
            self.latency_s.clear()

    def close(self) -> None:
        """Disconnect every session."""
        for client in self._clients:
            client.disconnect()
            client.loop_stop()


@dataclass
class Storm:
    """What a storm's publisher saw: the numbers acknowledged and when."""

    accepted: set[int] = field(default_factory=set)
    # When the first PUBACK came from a node other than the first (after a failover).
    resumed_at: float | None = None
    elapsed_s: float = 0.0
    killed_at: float | None = None


class Publisher:
    """QoS 1, a window of unacknowledged messages; on a lost node, the next node, and every
    message not yet acknowledged sent again there."""

    def __init__(self, ports: list[int]) -> None:
        self._ports = ports
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, int], int] = {}
        self._generation = 0
        self.storm = Storm()
        self._client = self._connect()

    def _connect(self) -> paho.Client:
        while True:
            generation = self._generation
            client = _client(f"pub-{generation}", clean=True)
            client.max_inflight_messages_set(WINDOW)

            def on_publish(
                _c: paho.Client, _u: object, mid: int, _r: object, _p: object,
                generation: int = generation,
            ) -> None:  # fmt: skip
                with self._lock:
                    n = self._pending.pop((generation, mid), None)
                    if n is not None:
                        self.storm.accepted.add(n)
                        if generation > 0 and self.storm.resumed_at is None:
                            self.storm.resumed_at = time.monotonic()

            client.on_publish = on_publish
            try:
                client.connect(LOOPBACK, self._ports[generation % len(self._ports)], keepalive=5)
            except OSError:
                self._generation += 1
                continue
            client.loop_start()
            return client

    def send(self, n: int) -> None:
        """Publish message `n`; one refused (the link just dropped) waits for the failover."""
        payload = json.dumps({"n": n, "t": time.monotonic()})
        info = self._client.publish(f"storm/{n % 10}", payload, qos=1)
        with self._lock:
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                self._pending[(self._generation, -1 - n)] = n
            elif not info.is_published():
                self._pending[(self._generation, info.mid)] = n

    def busy(self) -> bool:
        """Whether the window is full."""
        with self._lock:
            return len(self._pending) >= WINDOW

    def waiting(self) -> bool:
        """Whether any message awaits its PUBACK."""
        with self._lock:
            return bool(self._pending)

    def fail_over_if_lost(self) -> None:
        """On a lost node: connect to the next and send again what had no PUBACK."""
        if self._client.is_connected():
            return
        # Not loop_stop(): it joins paho's thread, which sleeps up to a second in its select.
        # disconnect() lets the thread end by itself instead of reconnecting to the dead node.
        self._client.disconnect()
        self._generation += 1
        self._client = self._connect()
        with self._lock:
            again = sorted(self._pending.values())
            self._pending.clear()
        for n in again:
            self.send(n)

    def close(self) -> None:
        """Disconnect."""
        self._client.disconnect()
        self._client.loop_stop()


def storm(
    ports: list[int], count: int, rate: float | None, kill: Callable[[], None] | None
) -> Storm:
    """Publish `count` messages (at `rate` a second, or as the window allows); `kill` after a
    third of them, then fail over."""
    publisher = Publisher(ports)
    started = time.monotonic()
    n = 0
    while (n < count or publisher.waiting()) and time.monotonic() - started < 120:
        if kill is not None and publisher.storm.killed_at is None and n >= count // 3:
            kill()
            publisher.storm.killed_at = time.monotonic()
        if publisher.storm.killed_at is not None:
            publisher.fail_over_if_lost()
        if n >= count:
            time.sleep(0.005)
            continue
        if rate is None and publisher.busy():
            time.sleep(0.0005)
            continue
        if rate is not None:
            time.sleep(max(0.0, started + n / rate - time.monotonic()))
        publisher.send(n)
        n += 1
    publisher.storm.elapsed_s = time.monotonic() - started
    publisher.close()
    return publisher.storm


def measure(name: str) -> None:
    """Start the candidate, run both storms, print the figures, stop it."""
    with tempfile.TemporaryDirectory(prefix=f"cad-broker-{name}-") as tmp:
        started = time.monotonic()
        tier = CANDIDATES[name](Path(tmp))
        try:
            for port in tier.ports:
                _mqtt_ready(port)
            print(f"{name}: {len(tier.ports)} nodes up in {time.monotonic() - started:.1f} s")
            subscriber = Subscriber(tier.ports, dual=tier.dual)
            time.sleep(1.0)
            burst = storm(tier.ports, 2000, None, None)
            time.sleep(2.0)
            latencies = sorted(subscriber.latency_s.values())
            p99 = latencies[int(len(latencies) * 0.99) - 1]
            print(
                f"  2000 QoS 1 as fast as a window of {WINDOW} allows: "
                f"{2000 / burst.elapsed_s:.0f}/s, publish to delivery p50 "
                f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
                f"delivered {len(latencies)}"
            )
            subscriber.clear()
            fault = storm(tier.ports, 600, 200.0, lambda: tier.kill(0))
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not fault.accepted <= subscriber.received():
                time.sleep(0.1)
            killed = fault.killed_at or 0.0
            resumed = float("nan") if fault.resumed_at is None else fault.resumed_at
            print(
                f"  600 at 200/s, node 0 killed -9 after 200: {len(fault.accepted)} acknowledged, "
                f"{len(fault.accepted - subscriber.received())} of them lost, first PUBACK "
                f"from another node {resumed - killed:.2f} s after the kill"
            )
            subscriber.close()
        finally:
            tier.stop()


def main() -> None:
    """`python -m loadtests.broker_candidates NAME...`"""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", choices=sorted(CANDIDATES))
    for name in parser.parse_args().names:
        measure(name)


if __name__ == "__main__":
    main()
