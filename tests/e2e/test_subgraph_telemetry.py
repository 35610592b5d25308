"""Subgraph telemetry with real processes: one trace from the router into the subgraphs and
their database, Prometheus metrics on every subgraph, JSON log lines, and the readiness probe."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from subgraphs.common.db import create_engine
from subgraphs.common.migrate import upgrade
from subgraphs.common.telemetry import migration_heads, readiness
from tests.kit.otlp import OtlpReceiver, ReceivedSpan
from tests.security.router_stack import start_router
from tests.support.databases import fresh_database
from tests.support.processes import ServiceProcess, start_subgraph

SERVER, CLIENT = 2, 3  # OTLP span kinds
TRACED = ("orders", "subscriptions")
QUERY = "query Catalogue { plans { code } products(first: 2) { nodes { id } } }"


@dataclass
class Traced:
    router: ServiceProcess
    subgraphs: dict[str, ServiceProcess]
    receiver: OtlpReceiver


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traced]:
    tmp = tmp_path_factory.mktemp("subgraph-telemetry")
    with ExitStack() as exits:
        receiver = exits.enter_context(OtlpReceiver())
        tracing = {
            "ENABLED": "true", "ENDPOINT": receiver.endpoint, "SCHEDULE_DELAY_SECONDS": "0.1"
        }  # fmt: skip
        processes = {}
        for name in ("customers", "orders", "invoices", "subscriptions"):
            env = {f"{name.upper()}_TELEMETRY__TRACING__{k}": v for k, v in tracing.items()}
            if name not in TRACED:
                env = {f"{name.upper()}_ECHO_SQL": "true"}  # statements and their parameters
            url = exits.enter_context(fresh_database("sqlite", name, tmp))
            processes[name] = start_subgraph(name, url, tmp, env=env)
            exits.callback(processes[name].stop)
        telemetry = {
            "tracing": {
                "enabled": True, "endpoint": receiver.endpoint, "schedule_delay_seconds": 0.1
            }
        }  # fmt: skip
        urls = {n: f"{p.url}/graphql" for n, p in processes.items()}
        router = start_router(tmp, urls, telemetry=telemetry)
        exits.callback(router.stop)
        yield Traced(router, processes, receiver)


def test_one_trace_runs_from_the_router_into_each_subgraph_and_its_database(
    traced: Traced,
) -> None:
    answer = traced.router.client.post(f"{traced.router.url}/graphql", json={"query": QUERY})
    assert "errors" not in answer.json(), answer.text

    def complete(spans: list[ReceivedSpan]) -> bool:
        services = {s.service for s in spans if s.kind == SERVER}
        queries = {s.service for s in spans if "db.system" in s.attributes or
                   "db.system.name" in s.attributes}  # fmt: skip
        # the router's request span ends (and is exported) after the subgraphs' spans
        routed = any(s.service.endswith("router") and s.parent_span_id == "" for s in spans)
        return routed and set(TRACED) <= services and set(TRACED) <= queries

    spans = traced.receiver.wait_for(complete)
    root = next(s for s in spans if s.service.endswith("router") and s.parent_span_id == "")
    trace = [s for s in spans if s.trace_id == root.trace_id]
    by_id = {s.span_id: s for s in trace}
    for name in TRACED:
        server = next(s for s in trace if s.service == name and s.kind == SERVER)
        parent = by_id[server.parent_span_id]  # the router's fetch span to that subgraph
        assert parent.service.endswith("router")
        assert parent.kind == CLIENT
        statements = [s for s in trace if s.service == name and s.kind == CLIENT]
        assert statements, f"no database spans from {name}"
        for statement in statements:  # each statement hangs under the subgraph's request
            ancestor = statement
            while ancestor.service == name and ancestor.span_id != server.span_id:
                ancestor = by_id[ancestor.parent_span_id]
            assert ancestor.span_id == server.span_id


def sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        found = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if found and all(f'{k}="{v}"' in found.group(1) for k, v in labels.items()):
            return float(found.group(2))
    return 0.0


def test_every_subgraph_serves_request_metrics_and_its_outbox_gauges(traced: Traced) -> None:
    traced.router.client.post(f"{traced.router.url}/graphql", json={"query": QUERY})
    for name in ("orders", "subscriptions"):
        served = traced.subgraphs[name]
        text = served.client.get(f"{served.url}/metrics").text
        count = sample(
            text, "http_server_request_duration_seconds_count",
            service=name, http_route="/graphql", http_request_method="POST",
            http_response_status_code="200",
        )  # fmt: skip
        assert count >= 1, text
        assert "switchboard_outbox_pending{" in text


CARD = "4242 4242 4242 4242"  # Luhn-valid
TOKEN = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJzdGFmZiJ9.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
CREATE = """mutation CreateCustomer($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) { id }
}"""
PRODUCTS = "query Products { products(first: 1) { nodes { id } } }"


Line = dict[str, object]


def logged(served: ServiceProcess, found: Callable[[Line], bool]) -> list[Line]:
    """The process's log lines, each parsed as JSON, once ``found`` holds for one of them."""
    deadline = time.monotonic() + 30  # a liveness bound: the access line follows the response
    while True:
        lines = [json.loads(line) for line in served.log().splitlines() if line.strip()]
        if any(found(line) for line in lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def access_line(trace_id: str) -> Callable[[Line], bool]:
    return lambda line: (
        line["logger"] == "switchboard.subgraph.access" and line.get("trace_id") == trace_id
    )


def test_subgraph_logs_are_json_lines_with_the_trace_id_and_never_the_secrets(
    traced: Traced,
) -> None:
    """customers (tracing off, SQL echo on: the statements' parameters are logged) joins the
    caller's trace for its log lines; orders (tracing on) logs under its own server span."""
    customers, orders = traced.subgraphs["customers"], traced.subgraphs["orders"]
    trace_ids = {name: secrets.token_hex(16) for name in ("customers", "orders")}
    address = {"line1": "1 Main St", "city": "Lyon", "postalCode": "69001", "country": "FR",
               "line2": f"Bearer {TOKEN}"}  # fmt: skip
    variables = {"input": {"email": "ada@example.com", "name": f"Ada {CARD}",
                           "address": address}, "key": secrets.token_hex(8)}  # fmt: skip
    headers = {
        "traceparent": f"00-{trace_ids['customers']}-{secrets.token_hex(8)}-01",
        "Authorization": f"Bearer {TOKEN}",
    }
    created = customers.client.post(
        f"{customers.url}/graphql", json={"query": CREATE, "variables": variables},
        headers=headers,
    )  # fmt: skip
    assert "errors" not in created.json(), created.text
    traceparent = f"00-{trace_ids['orders']}-{secrets.token_hex(8)}-01"
    listed = orders.client.post(
        f"{orders.url}/graphql", json={"query": PRODUCTS}, headers={"traceparent": traceparent}
    )
    assert "errors" not in listed.json(), listed.text
    for name, served in (("customers", customers), ("orders", orders)):
        lines = logged(served, access_line(trace_ids[name]))
        access = [line for line in lines if access_line(trace_ids[name])(line)]
        assert len(access) == 1, lines[-5:]
        assert access[0]["service"] == name
        assert access[0]["status"] == 200
        assert access[0]["caller"] == "router"
        assert isinstance(access[0]["duration_ms"], float)
    customer_lines = logged(customers, access_line(trace_ids["customers"]))
    (access,) = [line for line in customer_lines if line.get("operation_name") == "CreateCustomer"]
    assert access["trace_id"] == trace_ids["customers"]
    statements = [line for line in customer_lines if line["logger"].startswith("sqlalchemy")]
    assert any(line.get("trace_id") == trace_ids["customers"] for line in statements)
    text = customers.log()
    assert "[REDACTED_PAN]" in text
    assert "[REDACTED_JWT]" in text
    assert CARD not in text
    assert CARD.replace(" ", "") not in text
    assert TOKEN not in text
    assert TOKEN.split(".")[1] not in text


def test_ready_once_migrated_and_unavailable_before(traced: Traced, tmp_path: Path) -> None:
    for name, served in traced.subgraphs.items():
        ready = served.client.get(f"{served.url}/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "service": name}

    async def verdict(url: str) -> tuple[bool, str]:
        engine = create_engine(url)
        try:
            return await readiness(engine, migration_heads("orders"))
        finally:
            await engine.dispose()

    url = f"sqlite+aiosqlite:///{tmp_path / 'orders.db'}"
    assert asyncio.run(verdict(url)) == (
        False, "migrations: not applied (run the service's migrations)"
    )  # fmt: skip
    upgrade("orders", url)
    assert asyncio.run(verdict(url)) == (True, "ok")
    gone = "postgresql+asyncpg://postgres@127.0.0.1:1/test"  # nothing listens on port 1
    verdict_gone = asyncio.run(verdict(gone))
    assert verdict_gone[0] is False
    assert verdict_gone[1].startswith("database: ")
