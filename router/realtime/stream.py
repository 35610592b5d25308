"""A subscription's events: the primary fetch as a subgraph stream, the plan's rest per event.

Each event the subgraph sends becomes the response root; the plan's rest (entity fetches of
the fields other subgraphs resolve) runs on it with the executor, and the shaper gives the
client's body, exactly as a query's. The authorization filter ran before planning, so every
event carries only what the identity may see. A subgraph that refuses or drops the stream
ends it with one last body whose error has code SUBSCRIPTION_STREAM_CLOSED; a router
shutdown ends every stream with SUBSCRIPTION_ROUTER_SHUTDOWN (``Realtime.close_all``).

A subscription opened with a bearer token ends when the token does (its ``exp`` plus the
verifier's leeway, when a fresh request with it would be refused): one last body with
UNAUTHENTICATED, ``extensions.reason: "expired"``. Identical subgraph subscriptions share
one subgraph stream (``router.realtime.shared``) unless ``deduplicate`` is off.

``Realtime`` outlives supergraph reloads: it counts subscriptions per client, holds the
shutdown signal and the shared subgraph streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable, Iterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLSchema

from router.errors import (
    SUBSCRIPTION_LIMIT,
    SUBSCRIPTION_ROUTER_SHUTDOWN,
    SUBSCRIPTION_SCHEMA_RELOAD,
    SUBSCRIPTION_STREAM_CLOSED,
    UNAUTHENTICATED,
    RouterError,
    downstream_error,
    graphql_error,
)
from router.executor.fetcher import Fetcher
from router.executor.rewrites import rename_keys
from router.executor.walker import HeadersFor, execute_plan
from router.operation.execute import Executed, execute
from router.operation.plan import PreparedOperation
from router.operation.respond import shape
from router.planner.plan import FetchNode, QueryPlan
from router.realtime.settings import SubscriptionsConfig
from router.realtime.shared import SharedStreams
from router.realtime.subgraph_ws import StreamClosed, subgraph_events
from router.telemetry import NO_TELEMETRY, Telemetry
from router.telemetry.streams import StreamTelemetry

logger = logging.getLogger("switchboard.router")
Body = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StreamRun:
    """What one streamed operation executes with (the gateway fills it in)."""

    schema: GraphQLSchema
    prepared: PreparedOperation
    variables: dict[str, Any]
    fetcher: Fetcher
    headers_for: HeadersFor | None
    batch_entities: bool = False
    expires_at: float | None = None  # epoch seconds: the stream ends with UNAUTHENTICATED
    forwarded: Hashable | None = None  # what the subgraph learns of the client; None: no sharing


class Realtime:
    """The router's subscriptions: settings, per-client counts, shutdown."""

    def __init__(
        self,
        settings: SubscriptionsConfig,
        url_for: Callable[[str], str],
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self.settings = settings
        self.url_for = url_for
        self.telemetry = telemetry
        self.per_client: Counter[str] = Counter()
        self.stopping = asyncio.Event()
        self.generation = asyncio.Event()  # set when a reload retires the current supergraph
        self.active = 0
        self.shared = (
            SharedStreams(replay_latest=settings.replay_latest) if settings.deduplicate else None
        )
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def hold(
        self,
        client: str,
        protocol: str,
        operation_name: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[StreamTelemetry]:
        """Count one subscription of ``client`` while it runs, with its telemetry (the
        caller reports each body sent); SUBSCRIPTION_LIMIT past ``max_per_client``."""
        if self.per_client[client] >= self.settings.max_per_client:
            raise RouterError(
                SUBSCRIPTION_LIMIT,
                f"At most {self.settings.max_per_client} subscriptions per client.",
                extensions={"limit": "max_per_client"},
            )
        self.per_client[client] += 1
        self.active += 1
        self._idle.clear()
        record = self.telemetry.stream(protocol, operation_name, headers or {})
        try:
            yield record
        finally:
            record.finish()
            self.per_client[client] -= 1
            if not self.per_client[client]:
                del self.per_client[client]
            self.active -= 1
            if not self.active:
                self._idle.set()

    def reloaded(self) -> None:
        """End the streams planned on the previous supergraph (SUBSCRIPTION_SCHEMA_RELOAD)."""
        retired, self.generation = self.generation, asyncio.Event()
        retired.set()

    async def close_all(self, wait: float = 2.0) -> None:
        """End every stream with SUBSCRIPTION_ROUTER_SHUTDOWN; wait up to ``wait`` seconds
        for them to say so to their clients."""
        self.stopping.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), wait)

    async def events(self, run: StreamRun) -> AsyncGenerator[Body, None]:
        """The bodies of ``run``: one per subscription event, or one for a query."""
        if run.prepared.plan.primary is None:
            executed = await execute(
                run.schema, run.prepared, run.variables, run.fetcher, run.headers_for,
                batch_entities=run.batch_entities,
            )  # fmt: skip
            yield shape(run.prepared, executed, run.variables)
            return
        ends = _Ends(self.stopping, self.generation, run.expires_at)
        async with aclosing(self._subscription(run, run.prepared.plan.primary)) as events:
            async for body in _until(events, ends):
                yield body

    async def _subscription(self, run: StreamRun, primary: FetchNode) -> AsyncGenerator[Body, None]:
        service = primary.service_name
        headers = dict(run.headers_for(service)) if run.headers_for else {}
        used = {k: run.variables[k] for k in primary.variable_usages if k in run.variables}
        url = self.url_for(service)

        def source() -> AsyncGenerator[dict[str, Any], None]:
            events = subgraph_events(
                url, primary.operation, used, primary.operation_name, headers,
                connect_timeout=self.settings.subgraph_connect_timeout_seconds,
            )  # fmt: skip
            return _counted(events, service, self.telemetry)

        if self.shared is not None and run.forwarded is not None:
            variables = orjson.dumps(used, option=orjson.OPT_SORT_KEYS)
            key = (url, primary.operation, primary.operation_name, variables, run.forwarded)
            payloads_of = self.shared.events(key, source)
        else:
            payloads_of = source()
        try:
            async with aclosing(payloads_of) as payloads:
                async for payload in payloads:
                    yield await _event(run, primary, payload)
        except StreamClosed as closed:
            logger.info("subscription stream from %s ended: %s", service, closed.reason)
            errors = [downstream_error(e, service, None) for e in closed.errors]
            errors.append(
                graphql_error(
                    f"The {service} subgraph ended the subscription: {closed.reason}.",
                    SUBSCRIPTION_STREAM_CLOSED,
                    service=service,
                )
            )
            yield {"errors": errors, "data": None}


async def _counted(
    events: AsyncGenerator[dict[str, Any], None], service: str, telemetry: Telemetry
) -> AsyncGenerator[dict[str, Any], None]:
    """``events``, counted as an open subgraph stream while they run."""
    telemetry.subgraph_stream(service, opened=True)
    try:
        async with aclosing(events):
            async for payload in events:
                yield payload
    finally:
        telemetry.subgraph_stream(service, opened=False)


async def _event(run: StreamRun, primary: FetchNode, payload: dict[str, Any]) -> Body:
    service = primary.service_name
    raw_errors = payload.get("errors")
    errors = [
        downstream_error(e, service, e.get("path") if isinstance(e, dict) else None)
        for e in (raw_errors if isinstance(raw_errors, list) else [])
    ]
    data = payload.get("data")
    if not isinstance(data, dict):
        return {"errors": errors, "data": None}
    rename_keys(data, primary.output_rewrites)
    plan = run.prepared.plan
    state = await execute_plan(
        QueryPlan(plan.node), run.fetcher, run.variables, run.headers_for,
        batch_entities=run.batch_entities, data=data,
    )  # fmt: skip
    executed = Executed(state.data, [*errors, *state.errors], state.fetch_count + 1)
    return shape(run.prepared, executed, run.variables)


@dataclass(frozen=True, slots=True)
class _Ends:
    stopping: asyncio.Event  # the router shuts down
    reloaded: asyncio.Event  # the supergraph this stream was planned on is retired
    expires_at: float | None  # the client's token expires (epoch seconds)


async def _until(events: AsyncIterator[Body], ends: _Ends) -> AsyncIterator[Body]:
    """``events`` until the router stops or reloads or the token expires; then one body
    saying which."""
    waits: list[asyncio.Future[Any]]
    waits = [asyncio.ensure_future(e.wait()) for e in (ends.stopping, ends.reloaded)]
    if ends.expires_at is not None:
        expired = asyncio.sleep(max(0.0, ends.expires_at - time.time()))
        waits.append(asyncio.ensure_future(expired))
    stop = asyncio.ensure_future(asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED))
    following: asyncio.Future[Body] | None = None
    try:
        while True:
            following = asyncio.ensure_future(anext(events))
            await asyncio.wait({following, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                yield _ended(ends)
                return
            try:
                body = following.result()
            except StopAsyncIteration:
                return
            yield body
    finally:
        for future in (following, stop, *waits):
            if future is not None and not future.done():
                future.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                    await future


def _ended(ends: _Ends) -> Body:
    if ends.stopping.is_set():
        error = graphql_error(
            "The router is shutting down; subscribe again.", SUBSCRIPTION_ROUTER_SHUTDOWN
        )
    elif ends.reloaded.is_set():
        error = graphql_error(
            "The router loaded a new supergraph; subscribe again.", SUBSCRIPTION_SCHEMA_RELOAD
        )
    else:
        error = graphql_error(
            "The token has expired; subscribe again with a fresh token.", UNAUTHENTICATED,
            extensions={"reason": "expired"},
        )  # fmt: skip
    return {"errors": [error], "data": None}
