"""Per-service settings, read from the environment with the service's own prefix."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from switchboard.telemetry import TelemetrySettings

from .db import PoolSettings

DEFAULT_PORTS = {"customers": 4001, "orders": 4002, "invoices": 4003, "subscriptions": 4004}
DATA_DIR = Path(os.environ.get("SWITCHBOARD_DATA_DIR", "data"))


class SubgraphSettings(BaseSettings):
    """Settings of one subgraph service.

    Every value can be set with ``<SERVICE>_<FIELD>`` in the environment, e.g.
    ``ORDERS_DATABASE_URL=postgresql+asyncpg://…`` or ``CUSTOMERS_PORT=5001``.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    name: str
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    database_url: str = ""
    max_page_size: int = Field(default=100, ge=1)
    default_page_size: int = Field(default=20, ge=1)
    echo_sql: bool = False
    max_body_bytes: int = Field(
        default=8 * 1024 * 1024, ge=1024, description="Largest /graphql request body accepted."
    )
    # The request pool: a request holds at most one connection, and only while it reads or
    # writes (never across a call to the bank or a peer), so size + overflow bounds how many
    # requests touch the database at once; the rest wait up to db_pool_timeout_seconds.
    db_pool_size: int = Field(default=10, ge=1, description="Connections kept open per process.")
    db_max_overflow: int = Field(
        default=10, ge=0, description="Connections opened beyond db_pool_size under load."
    )
    db_pool_timeout_seconds: float = Field(
        default=30.0, gt=0, description="How long a request waits for a free connection."
    )
    log_level: str = "info"
    # E-mail: the outbox sender delivers over SMTP (dev: `switchboard mailsink`, port 4025).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=4025, ge=1, le=65535)
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = "Switchboard <billing@switchboard.test>"
    outbox_enabled: bool = Field(default=True, description="Run the outbox sender in the app.")
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_max_attempts: int = Field(
        default=25, ge=1, description="Failed deliveries after which a row is a dead letter."
    )
    events_redis_url: str = Field(
        default="",
        description="Redis for subscription change notices across processes; empty: in-process.",
    )
    # Services this one calls; empty means the service's default port on 127.0.0.1.
    invoices_url: str = ""
    customers_url: str = ""
    service_timeout_seconds: float = Field(default=30.0, gt=0)  # > the bank retries of payInvoice
    service_private_key: SecretStr = Field(
        default=SecretStr(""),
        description="This service's Ed25519 private key (PEM): it signs the tokens of its calls "
        "to other services (`switchboard dev` generates one per run).",
    )
    internal_token: str = Field(
        default="", description="Shared secret for /internal/* calls; empty: loopback only."
    )
    # Who may call /graphql (docs/security.md): the router's public keys (PEM, several
    # during a rotation) and the peer services' ({"orders": "<PEM>", …}). None: refuse all.
    router_public_keys: str = Field(
        default="", description="The router's Ed25519 public key(s), PEM.", repr=False
    )
    service_public_keys: str = Field(
        default="", description="Peer services' Ed25519 public keys: JSON name → PEM.", repr=False
    )
    # Recurring billing (subscriptions): scheduler interval, clock.
    billing_interval_seconds: float = Field(default=0.0, ge=0, description="0: no scheduler.")
    clock: str = Field(default="system", description="system, fixed:<ISO>, offset:<seconds>.")
    # Traces over OTLP (off by default), e.g. ORDERS_TELEMETRY__TRACING__ENABLED=true and
    # ORDERS_TELEMETRY__TRACING__ENDPOINT=http://collector:4318/v1/traces.
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)

    @property
    def pool(self) -> PoolSettings:
        return PoolSettings(self.db_pool_size, self.db_max_overflow, self.db_pool_timeout_seconds)

    @classmethod
    def for_service(cls, name: str, **overrides: object) -> SubgraphSettings:
        """Settings for ``name``: defaults, then ``NAME_*`` variables, then overrides."""
        prefixed = type(
            f"{name.title()}Settings",
            (cls,),
            {
                "model_config": SettingsConfigDict(
                    env_prefix=f"{name.upper()}_", env_nested_delimiter="__", extra="ignore"
                )
            },
        )
        values: dict[str, object] = {"name": name}
        values.update({k: v for k, v in overrides.items() if v is not None})
        loaded = prefixed(**values)
        data = loaded.model_dump()
        if not data["port"]:
            data["port"] = DEFAULT_PORTS.get(name, 0)
        if not data["database_url"]:
            data["database_url"] = f"sqlite+aiosqlite:///{DATA_DIR / name}.db"
        for peer in ("invoices", "customers"):
            if not data[f"{peer}_url"]:
                data[f"{peer}_url"] = f"http://127.0.0.1:{DEFAULT_PORTS[peer]}/graphql"
        return cls(**data)
