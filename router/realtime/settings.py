"""The ``subscriptions`` section of router.yaml: on/off, limits, heartbeat, timeouts."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SubscriptionsConfig(BaseModel):
    """GraphQL subscriptions: over WebSocket (graphql-transport-ws) and SSE on `/graphql`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = Field(
        default=None,
        description="Serve subscriptions (WebSocket upgrades, SSE and Apollo multipart "
        "on /graphql); unset means on in dev mode only. Off: OPERATION_NOT_SUPPORTED.",
    )
    max_per_connection: int = Field(
        default=10,
        ge=1,
        description="Subscriptions one WebSocket may run at once; past it: SUBSCRIPTION_LIMIT.",
    )
    max_per_client: int = Field(
        default=50,
        ge=1,
        description="Subscriptions one client (token subject, else address) may run at once "
        "on this router process, all connections together; past it: SUBSCRIPTION_LIMIT.",
    )
    ping_interval_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="Heartbeat: a graphql-transport-ws `ping` (SSE: a comment line) this "
        "often; a WebSocket client that answers no ping within the next interval is closed "
        "(4408).",
    )
    connection_init_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="A WebSocket that sends no `connection_init` this long is closed (4408).",
    )
    idle_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        description="A WebSocket running no subscription this long is closed (1000).",
    )
    subgraph_connect_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Opening a subgraph's WebSocket and its `connection_ack`; past it the "
        "subscription ends with SUBSCRIPTION_STREAM_CLOSED.",
    )
    deduplicate: bool = Field(
        default=True,
        description="Identical subgraph subscriptions (same subgraph, operation, variables, "
        "forwarded headers and identity) share one subgraph stream on this router process; "
        "each client still gets its own entity fetches per event. Identities never share.",
    )
    replay_latest: bool = Field(
        default=True,
        description="A client joining a shared stream first gets its latest event (the "
        "entity's current state, for subgraphs that send it at subscribe time and on each "
        "change); off: only the events after it joined, as Apollo Router does.",
    )
