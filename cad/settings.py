"""Service settings, read only from the environment (`CAD_*`) through pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cad.events import Grade
from cad.shifts import parse_shifts


class Settings(BaseSettings):
    """Everything a `cad` process is configured with; build it with `get_settings()`."""

    model_config = SettingsConfigDict(env_prefix="CAD_", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    # Redis Sentinel (docs/reliability.md, "Redis Sentinel"): `host:port,...` of the sentinels
    # and the name they monitor the primary by. When set, the sentinels say where the primary is
    # and `redis_url` gives only the login, password, database and TLS.
    redis_sentinels: str = ""
    redis_sentinel_master: str = "cadmaster"
    # Redis Cluster (docs/reliability.md, "Redis Cluster"): `host:port,...` of some of its nodes
    # (the client learns the rest from them). When set, `redis_url` gives only the login and TLS.
    redis_cluster_nodes: str = ""
    # A new call's incident and its dispatch are acknowledged once this many replicas hold them
    # (WAIT), or after the timeout, logged: 0 answers at once, as asynchronous replication does.
    redis_wait_replicas: int = Field(default=0, ge=0)
    redis_wait_timeout_ms: int = Field(default=500, ge=1)
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    # A broker tier of independent brokers (docs/reliability.md, "Broker tier"): `host:port,...`
    # of every broker. When set, `mqtt_url` gives only the scheme, login and password; the
    # service receives and publishes on every broker, and the MDTs and gateways fail over.
    mqtt_brokers: str = ""
    # A tasking still unacknowledged this long after it was sent is sent again (same tasking id,
    # so the MDT takes it once), until it is acknowledged or escalated (`ack_timeout_s`): an MDT
    # that came back on another broker after losing its own gets it. 0: never sent again.
    tasking_resend_s: float = Field(default=5.0, ge=0)
    topic_root: str = "cad"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    # The replica's client id on a broker without logins; with logins the broker binds each
    # connection's id to its username, so every replica logs in as itself (CAD_MQTT_URL).
    mqtt_client_id: str = "cad-service"
    # The call intake's persistent session, held by one replica at a time
    # (transport/mqtt_intake.py): its login (with the replica's password), and the lease a dead
    # holder's successor waits out.
    mqtt_intake_login: str = "cad-intake"
    intake_lease_s: float = Field(default=5.0, ge=0.5, le=120.0)
    # The periodic jobs led by one replica at a time (transport/led_job.py: ack watch, queue
    # sweep, alarm scan, geo compaction): a dead leader's jobs pass on within this and a third.
    job_lease_s: float = Field(default=5.0, ge=0.5, le=120.0)
    # An MQTT message whose handling fails for any reason but a dependency outage is retried this
    # long, then dead-lettered with the reason (an outage is waited out: transport/durable.py).
    message_give_up_s: float = Field(default=30.0, gt=0)
    max_payload_bytes: int = Field(default=16 * 1024, ge=256)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # GEOSEARCH cost grows with the members inside the radius, so search near first and widen.
    search_radii_m: tuple[int, ...] = (1_000, 3_000, 8_000, 20_000, 60_000)
    # A unit whose last AVL fix is older than this is stale: not recommended, and said so.
    stale_fix_s: float = Field(default=90.0, gt=0)
    incident_types_file: Path | None = None
    # The result codes a closing dispatcher chooses from (cad/result_codes.py).
    result_codes_file: Path | None = None
    # A supervisor may amend a closed incident's result this long after it closed: a week
    # spans a full shift cycle (a supervisor off for four days is back to review their team's
    # closures) and the crime-recording decision, due within 72 hours under the Home Office
    # Counting Rules, that most amendments follow; later corrections are for the archive.
    result_amend_window_s: int = Field(default=7 * 24 * 3600, gt=0)
    # A new call is linked to an open incident automatically at or above this duplicate score.
    auto_link_score: float = Field(default=0.8, ge=0.0, le=1.0)
    duplicate_search_m: float = Field(default=1_500.0, gt=0)
    # Calls of these grades (letters, comma-separated; '' for none) in another force's area are
    # attended by Met units meanwhile, flagged for transfer, rather than only held for hand-over.
    attend_outside_grades: str = Field(default="I", pattern=r"^([ISER](,[ISER])*)?$")
    # ONS Police Force Areas (GeoJSON, PFA23NM/PFA23CD): the forces beyond London, when given,
    # instead of the nearest stretch of London's boundary (docs/geo.md).
    force_areas_file: Path | None = None
    # Caller numbers are matched by salted hash; the salt must be the same on every replica.
    cli_salt: str = "development-only-salt"
    # Call records (with caller number and free text) expire after this long.
    caller_data_retention_s: int = Field(default=30 * 24 * 3600, gt=0)
    # A pending incident older than this raises the queue alarm (the IOPC found one left 10 h).
    queue_alarm_age_s: float = Field(default=20 * 60, gt=0)
    # Alarms (service/alarms/, docs/alarms.md): scanned this often; a pending incident alarms
    # after CAD_QUEUE_ALARM_AGE_S, or its grade's own age here ({"I": 300} as JSON); one left at
    # `new` untouched (created, or its status last changed) this long; a unit on scene longer than
    # its incident type's or grade's limit here, else the default; this many dead letters on one
    # topic within the window. Cleared alarms are kept for the retention, then expire.
    alarm_scan_interval_s: float = Field(default=5.0, gt=0)
    alarm_queue_age_by_grade_s: dict[Grade, float] = Field(default_factory=dict)
    alarm_untouched_new_s: float = Field(default=5 * 60.0, gt=0)
    # An incident whose units have all cleared waits this long for its result code.
    alarm_result_overdue_s: float = Field(default=30 * 60.0, gt=0)
    alarm_on_scene_s: float = Field(default=2 * 3600.0, gt=0)
    alarm_on_scene_by_s: dict[str, float] = Field(default_factory=dict)
    alarm_dead_letter_count: int = Field(default=10, ge=1)
    alarm_dead_letter_window_s: float = Field(default=300.0, gt=0)
    alarm_retention_s: float = Field(default=24 * 3600.0, gt=0)
    # A tasking not acknowledged by the MDT within this long is escalated to the next unit.
    ack_timeout_s: float = Field(default=30.0, gt=0)
    ack_check_interval_s: float = Field(default=1.0, gt=0)
    # How often every area's geo sets are re-packed (dispatch/geo_sets.py); each area's pass
    # blocks Redis for about a millisecond per thousand of its units.
    geo_compact_interval_s: float = Field(default=600.0, gt=0)
    # MDT passwords derive from this (transport/broker_security.py); the same on broker and
    # simulator.
    mdt_credential_secret: str = "development-only-mdt-secret"
    network_timeout_s: float = Field(default=5.0, gt=0)
    reconnect_max_backoff_s: float = Field(default=10.0, gt=0)
    # On SIGTERM, messages in flight get this long to finish before the process exits.
    shutdown_grace_s: float = Field(default=10.0, gt=0)
    # AVL ingest processes the service runs beside itself (0: this process ingests no AVL).
    avl_workers: int = Field(default=1, ge=0, le=32)
    log_level: str = "INFO"
    # JSON log lines go to this file (appended, shared by the AVL workers) instead of stderr.
    log_file: Path | None = None
    # Only "development" accepts the HS256 development secret; unset, the safe choice applies.
    environment: Literal["development", "staging", "production"] = "production"
    # Token verification: a JWKS (file or URL) or a PEM public key from the identity provider.
    auth_jwks_file: Path | None = None
    auth_jwks_url: str | None = None
    auth_public_key_file: Path | None = None
    # HS256 shared secret for `cad token`: development only (refused in any other environment).
    auth_dev_secret: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_roles_claim: str = "roles"
    auth_leeway_s: float = Field(default=30.0, ge=0)
    # Per client (token subject, or IP address without one): sustained rate and burst.
    rate_limit_per_s: float = Field(default=200.0, gt=0)
    rate_limit_burst: int = Field(default=400, ge=1)
    # TLS for rediss:// and mqtts:// URLs: the CA to trust, and a client certificate if demanded.
    redis_tls_ca_file: Path | None = None
    redis_tls_cert_file: Path | None = None
    redis_tls_key_file: Path | None = None
    mqtt_tls_ca_file: Path | None = None
    mqtt_tls_cert_file: Path | None = None
    mqtt_tls_key_file: Path | None = None
    # Supervised background tasks (cad/supervisor.py): a failed one runs again after a backoff
    # doubling from the first to the max; a run that lasted `task_healthy_after_s` (or a periodic
    # task's completed round) starts the count again; this many failures in a row make a task
    # unhealthy, and /readyz answers 503 naming it (docs/reliability.md says why a count).
    task_first_backoff_s: float = Field(default=0.5, gt=0)
    task_max_backoff_s: float = Field(default=10.0, gt=0)
    task_healthy_after_s: float = Field(default=30.0, gt=0)
    task_unhealthy_after_failures: int = Field(default=3, ge=1)
    # How often every area's pending queue is offered to its available units
    # (dispatch/queue_sweep.py): an incident queued for want of a fresh AVL fix waits no longer.
    queue_sweep_interval_s: float = Field(default=2.0, gt=0)
    # How far a client's timestamp may lead the service's clock (cad/clock_bounds.py). Gateways
    # and MDTs keep NTP or GPS time, good to well under a second; a minute forgives a clock left
    # to drift for weeks, and moves a call's target clock and queue place by at most a minute
    # (an I target is 15 minutes). An AVL fix's freshness never takes the client's word anyway.
    clock_skew_s: float = Field(default=60.0, ge=0)
    # The oldest call event taken in: a day, so a gateway's log can be replayed after an outage
    # (`cad replay`) as the README offers; older is no call to take as new.
    max_call_age_s: float = Field(default=24 * 3600.0, gt=0)
    # The oldest AVL fix taken in: five minutes. One older than CAD_STALE_FIX_S leaves its unit
    # stale anyway; up to this it still moves the unit on the map. Beyond, the unit has gone a
    # few km since: the fix is refused, and an MDT whose clock runs that slow is named by the
    # dead letters of every fix it sends.
    max_fix_age_s: float = Field(default=300.0, gt=0)
    # The oldest status report taken in: an hour. A report held up in an MDT (a dead spot) still
    # says what the crew did, and the state machine decides whether it applies; an older one
    # describes a job long moved on. A last will (`link_lost`) is exempt: its stamp is the time
    # the MDT connected, which may be a day ago.
    max_status_age_s: float = Field(default=3600.0, gt=0)
    # A 503 (Redis, the broker or the identity provider unavailable) asks the client to retry
    # after this long: a dependency back is used on the very next request (docs/reliability.md).
    unavailable_retry_after_s: int = Field(default=2, ge=1, le=300)
    # Where GET /v1/places looks, ranked together (service/places.py, docs/geo.md): "builtin"
    # (streets, wards, boroughs, fire stations, well-known places), "addressbase-csv:PATH",
    # "python:MODULE:FACTORY" (a force's own PlaceProvider).
    place_providers: tuple[str, ...] = Field(default=("builtin",), min_length=1)
    # The history store (docs/history.md): PostgreSQL, the system of record for closed
    # incidents and the audit trail. Unset, the service runs without it (history routes: 503).
    database_url: str | None = None
    # The archiver: how often it runs, how many audit entries one transaction takes, how long
    # audit entries stay in Redis after they are archived (the live map's and chronology's
    # window) and how long a closed incident stays in Redis after it is archived.
    archive_interval_s: float = Field(default=2.0, gt=0)
    # False: the service does not run the archiver itself (run `cad archive` as a process of its
    # own instead); its history routes still read the store.
    archive_in_service: bool = True
    archive_batch: int = Field(default=1000, ge=1, le=50_000)
    archive_keep_audit_s: float = Field(default=3600.0, ge=0)
    archive_incident_grace_s: float = Field(default=900.0, ge=0)
    # Reports (docs/reports.md): the zone whose calendar days and shifts group
    # `/v1/reports/kpis` (BST and GMT included), and the shifts, `name=HH:MM` in local time, each
    # running until the next starts (the Met's early, late and night turns by default).
    report_timezone: str = "Europe/London"
    report_shifts: str = "early=07:00,late=15:00,night=23:00"
    # Interop with partner agencies (interop/, docs/interop.md): this force's agency id in the
    # EIDOs it issues; the partners an incident may be handed to (shipped
    # cad/data/partners.yaml without it); an EIDO not delivered is tried again after a backoff
    # doubling from the first to the max, dead-lettered after this many attempts, and from then
    # on tried every `interop_parked_retry_s` until the partner takes it: never dropped.
    agency_id: str = Field(default="met.police.uk", pattern=r"^[a-z0-9.-]{3,100}$")
    partners_file: Path | None = None
    interop_send_interval_s: float = Field(default=1.0, gt=0)
    interop_retry_first_s: float = Field(default=2.0, gt=0)
    interop_retry_max_s: float = Field(default=60.0, gt=0)
    interop_max_attempts: int = Field(default=8, ge=1)
    interop_parked_retry_s: float = Field(default=300.0, gt=0)
    # EIDOs carry an incident's calls, units and notes: larger than a call event.
    interop_max_eido_bytes: int = Field(default=256 * 1024, ge=1024)

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinels_readable(cls, value: str) -> str:
        sentinel_addresses(value)  # raises, naming the entry it cannot read
        return value

    @field_validator("mqtt_brokers")
    @classmethod
    def _brokers_readable(cls, value: str) -> str:
        addresses = broker_addresses(value)  # raises, naming the entry it cannot read
        twice = sorted({f"{h}:{p}" for h, p in addresses if addresses.count((h, p)) > 1})
        if twice:
            raise ValueError(f"broker listed twice: {', '.join(twice)}")
        return value

    @field_validator("redis_cluster_nodes")
    @classmethod
    def _cluster_nodes_readable(cls, value: str) -> str:
        cluster_addresses(value)  # raises, naming the entry it cannot read
        return value

    @field_validator("topic_root")
    @classmethod
    def _topic_root_has_no_wildcards(cls, value: str) -> str:
        stripped = value.strip("/")
        if not stripped or any(c in stripped for c in "+#"):
            raise ValueError("topic root must be a non-empty topic without wildcards")
        return stripped

    @field_validator("search_radii_m")
    @classmethod
    def _radii_ascending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(r <= 0 for r in value) or list(value) != sorted(value):
            raise ValueError("search radii must be positive and ascending")
        return value

    @field_validator("report_timezone")
    @classmethod
    def _zone_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"no time zone {value!r} in the tz database") from None
        return value

    @field_validator("report_shifts")
    @classmethod
    def _shifts_readable(cls, value: str) -> str:
        parse_shifts(value)
        return value

    @field_validator("alarm_queue_age_by_grade_s", "alarm_on_scene_by_s")
    @classmethod
    def _alarm_limits_positive(cls, value: dict[str, float]) -> dict[str, float]:
        wrong = sorted(str(k) for k, v in value.items() if not v > 0)
        if wrong:
            raise ValueError(f"every limit must be a positive number of seconds: {wrong}")
        return value

    @model_validator(mode="after")
    def _avl_workers_on_every_broker(self) -> Settings:
        # Each AVL worker serves one broker of the tier, and an MDT reports on any of them.
        brokers = len(broker_addresses(self.mqtt_brokers))
        if 0 < self.avl_workers < brokers:
            raise ValueError(
                f"avl_workers: {self.avl_workers} cannot serve the {brokers} brokers of "
                f"CAD_MQTT_BROKERS (one each at least; or 0: no AVL ingest here)"
            )
        return self

    @model_validator(mode="after")
    def _one_redis_topology(self) -> Settings:
        if self.redis_cluster_nodes and self.redis_sentinels:
            raise ValueError(
                "redis_cluster_nodes: a Redis Cluster is not watched by sentinels; set "
                "CAD_REDIS_CLUSTER_NODES or CAD_REDIS_SENTINELS, not both"
            )
        database = urlsplit(self.redis_url).path.strip("/") or "0"
        if self.redis_cluster_nodes and database != "0":
            raise ValueError(f"redis_url: a Redis Cluster has only database 0, not {database!r}")
        return self

    @model_validator(mode="after")
    def _wait_within_the_network_timeout(self) -> Settings:
        # A WAIT longer than the client's own timeout would fail the round trip it rides on
        # (a call refused as an outage) instead of answering "not replicated" in time.
        if self.redis_wait_replicas and self.redis_wait_timeout_ms >= self.network_timeout_s * 1000:
            raise ValueError(
                f"redis_wait_timeout_ms: {self.redis_wait_timeout_ms} ms must be shorter than "
                f"network_timeout_s ({self.network_timeout_s:g} s)"
            )
        return self

    @model_validator(mode="after")
    def _interop_backoff_bounded(self) -> Settings:
        if self.interop_retry_max_s < self.interop_retry_first_s:
            raise ValueError(
                "interop_retry_max_s: must be at least interop_retry_first_s "
                f"({self.interop_retry_first_s:g}s)"
            )
        return self

    @model_validator(mode="after")
    def _dev_secret_only_in_development(self) -> Settings:
        if self.auth_dev_secret and self.environment != "development":
            raise ValueError(
                "auth_dev_secret: the HS256 development secret is refused outside "
                f"CAD_ENVIRONMENT=development (here {self.environment!r}); configure "
                "CAD_AUTH_JWKS_FILE, CAD_AUTH_JWKS_URL or CAD_AUTH_PUBLIC_KEY_FILE"
            )
        if self.auth_dev_secret is not None and len(self.auth_dev_secret) < 32:
            raise ValueError("auth_dev_secret: use at least 32 characters (HS256 key length)")
        return self


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """`host:port,...` as (host, port) pairs; an empty string is no sentinels."""
    return _addresses(value, "sentinel")


def broker_addresses(value: str) -> list[tuple[str, int]]:
    """`host:port,...` as (host, port) pairs; an empty string is no broker tier."""
    return _addresses(value, "broker")


def cluster_addresses(value: str) -> list[tuple[str, int]]:
    """`host:port,...` as (host, port) pairs; an empty string is no cluster."""
    return _addresses(value, "cluster node")


def _addresses(value: str, what: str) -> list[tuple[str, int]]:
    addresses = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{what} {entry!r} is not host:port")
        addresses.append((host, int(port)))
    return addresses


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides taking precedence."""
    return Settings(**overrides)  # type: ignore[arg-type]
