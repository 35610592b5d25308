"""A real router with tracing, metrics and JSON logs on: one trace, Prometheus text, safe logs."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.echo_subgraph import EchoServer, start_echo, supergraph_sdl
from tests.kit.otlp import OtlpReceiver, ReceivedSpan
from tests.support.processes import ServiceProcess, free_port, start_service

SERVER, CLIENT = 2, 3  # OTLP span kinds
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjdXN0XzQyIn0.c2lnbmF0dXJlLXNlY3JldA"
CARD = "4242424242424242"
QUERY = "query Both { hello alphaHeaders betaHeaders }"


@dataclass
class Telemetered:
    router: ServiceProcess
    receiver: OtlpReceiver
    metrics_url: str
    echo: EchoServer


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telemetered]:
    tmp = tmp_path_factory.mktemp("telemetry")
    echo = start_echo(tmp)
    supergraph = tmp / "supergraph.graphql"
    fields = {"alpha": ["hello", "alphaHeaders"], "beta": ["betaHeaders", "betaNested"]}
    supergraph.write_text(supergraph_sdl(echo.url, fields))
    metrics_port = free_port()
    with OtlpReceiver() as receiver:
        settings = {
            "dev": False,
            "authentication": {},  # the test tokens are propagated, not verified
            "persisted_queries": {"enabled": True},
            "limits": {"max_aliases": 3},
            "telemetry": {
                "tracing": {
                    "enabled": True,
                    "endpoint": receiver.endpoint,
                    "schedule_delay_seconds": 0.1,
                },
                "metrics": {"enabled": True, "port": metrics_port},
                "logs": {"format": "json", "access_log": True},
            },
        }
        config = tmp / "router.yaml"
        config.write_text(yaml.safe_dump(settings))
        port = free_port()
        args = ["router", "--config", str(config), "--supergraph", str(supergraph)]
        router = start_service([*args, "--port", str(port)], name="router", port=port, log_dir=tmp)
        try:
            yield Telemetered(router, receiver, f"http://127.0.0.1:{metrics_port}/metrics", echo)
        finally:
            router.stop()
            echo.stop()


def post(stack: Telemetered, body: dict[str, Any], **headers: str) -> httpx.Response:
    return stack.router.client.post(f"{stack.router.url}/graphql", json=body, headers=headers)


def trace_of(stack: Telemetered, trace_id: str, names: set[str]) -> list[ReceivedSpan]:
    def complete(spans: list[ReceivedSpan]) -> bool:
        return names <= {s.name for s in spans if s.trace_id == trace_id}

    return [s for s in stack.receiver.wait_for(complete) if s.trace_id == trace_id]


def test_one_trace_spans_the_request_its_stages_and_its_fetches(stack: Telemetered) -> None:
    response = post(stack, {"query": QUERY, "operationName": "Both"})
    data = response.json()["data"]
    sent = {name: json.loads(data[f"{name}Headers"])["traceparent"] for name in ("alpha", "beta")}
    trace_id = sent["alpha"].split("-")[1]
    assert sent["beta"].split("-")[1] == trace_id  # both subgraphs joined one trace

    stages = {"receive", "identify", "persisted", "document", "parse", "limits", "validate",
              "authorize", "plan", "execute", "respond"}  # fmt: skip
    spans = trace_of(stack, trace_id, {"query Both", "subgraph alpha", "subgraph beta", *stages})
    by_name = {span.name: span for span in spans}
    root = by_name["query Both"]
    assert root.kind == SERVER
    assert root.parent_span_id == ""
    assert root.service == "switchboard-router"
    assert root.attributes["graphql.operation.name"] == "Both"
    assert root.attributes["graphql.operation.type"] == "query"
    assert root.attributes["http.response.status_code"] == 200
    for stage in stages - {"parse", "limits", "validate"}:
        assert by_name[stage].parent_span_id == root.span_id, stage
    for step in ("parse", "limits", "validate"):  # on a worker thread, under their stage
        assert by_name[step].parent_span_id == by_name["document"].span_id
    execute = by_name["execute"]
    for name in ("alpha", "beta"):
        fetch = by_name[f"subgraph {name}"]
        assert fetch.kind == CLIENT
        assert fetch.parent_span_id == execute.span_id
        assert fetch.attributes["subgraph.name"] == name
        assert fetch.attributes["switchboard.plan.path"] == ""  # a root fetch
        version, sent_trace, sent_parent, flags = sent[name].split("-")
        assert (version, sent_trace, sent_parent) == ("00", trace_id, fetch.span_id)
        assert int(flags, 16) & 1  # sampled: the subgraph's spans join this trace


def test_a_client_traceparent_is_the_root_span_s_parent(stack: Telemetered) -> None:
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    response = post(stack, {"query": "{ hello }"}, traceparent=f"00-{trace_id}-{parent}-01")
    assert response.json() == {"data": {"hello": "hello"}}
    [root] = [s for s in trace_of(stack, trace_id, {"query"}) if s.name == "query"]
    assert root.parent_span_id == parent


def scrape(stack: Telemetered) -> str:
    return httpx.get(stack.metrics_url, timeout=10).text


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` whose labels include ``labels``; 0 when absent."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def wait_metric(stack: Telemetered, name: str, minimum: float, **labels: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        text = scrape(stack)
        if sample(text, name, **labels) >= minimum or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def test_metrics_count_operations_errors_fetches_limits_and_caches(stack: Telemetered) -> None:
    for _ in range(2):
        assert post(stack, {"query": "query Hi { hello }"}).json() == {"data": {"hello": "hello"}}
    invalid = post(stack, {"query": "query Bad { nope }"}).json()
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    aliased = post(stack, {"query": "{ a: hello b: hello c: hello d: hello }"}).json()
    assert aliased["errors"][0]["extensions"]["code"] == "MAX_ALIASES_LIMIT"
    digest = hashlib.sha256(b"{ betaNested }").hexdigest()
    apq = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    assert post(stack, {"extensions": apq}).json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_NOT_FOUND"
    )
    assert post(stack, {"query": "{ betaNested }", "extensions": apq}).status_code == 200
    assert post(stack, {"extensions": apq}).json() == {"data": {"betaNested": "betaNested"}}

    text = wait_metric(
        stack, "switchboard_router_cache_lookups_total", 1, cache="apq", result="hit"
    )
    operations = "switchboard_router_operations_total"
    assert sample(text, operations, graphql_operation_name="Hi", outcome="success") == 2
    assert sample(text, operations, graphql_operation_name="", outcome="failure") >= 3
    errors = "switchboard_router_errors_total"
    assert sample(text, errors, code="GRAPHQL_VALIDATION_FAILED") == 1
    assert sample(text, errors, code="PERSISTED_QUERY_NOT_FOUND") == 1
    assert sample(text, "switchboard_router_limit_refusals_total", code="MAX_ALIASES_LIMIT") == 1
    duration = "http_server_request_duration_seconds_count"
    assert sample(text, duration, graphql_operation_name="Hi", http_response_status_code="200") == 2
    fetches = "http_client_request_duration_seconds_count"
    assert sample(text, fetches, subgraph_name="alpha", error_type="") >= 2
    assert sample(text, "http_client_active_requests", subgraph_name="alpha") == 0
    assert sample(text, "http_server_active_requests") == 0
    lookups = "switchboard_router_cache_lookups_total"
    assert sample(text, lookups, cache="apq", result="miss") == 1
    assert sample(text, lookups, cache="apq", result="hit") >= 1
    assert sample(text, lookups, cache="operation", result="hit") >= 1  # the second "Hi"
    assert sample(text, "switchboard_router_ready") == 1
    assert sample(text, "process_resident_memory_bytes") > 0


def test_ready_and_health(stack: Telemetered) -> None:
    ready = httpx.get(f"{stack.router.url}/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "subgraphs": 2}
    assert httpx.get(f"{stack.router.url}/health", timeout=10).status_code == 200


def test_logs_are_json_lines_without_secrets(stack: Telemetered) -> None:
    headers = {
        "authorization": f"Bearer {TOKEN}",
        "apollographql-client-name": "web-checkout",
        "apollographql-client-version": "1.4.2",
        "x-card-number": CARD,
    }
    body = {"query": QUERY, "operationName": "Both", "variables": {"card": CARD, "cvc": "123"}}
    response = post(stack, body, **headers)
    assert response.status_code == 200
    headers_seen = json.loads(response.json()["data"]["alphaHeaders"])
    trace_id = headers_seen["traceparent"].split("-")[1]
    post(stack, {"query": f'{{ hello(card: "{CARD}") }}'}, authorization=f"Bearer {TOKEN}")
    deadline = time.monotonic() + 30
    while trace_id not in stack.router.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    log = stack.router.log()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines, log
    assert len(lines) == len([line for line in log.splitlines() if line.strip()])  # all JSON
    [access] = [line for line in lines if line.get("trace_id") == trace_id]
    assert access["operation_name"] == "Both"
    assert access["operation_type"] == "query"
    assert access["client_name"] == "web-checkout"
    assert access["client_version"] == "1.4.2"
    assert access["status"] == 200
    assert access["outcome"] == "success"
    assert isinstance(access["duration_ms"], float)
    assert access["logger"] == "switchboard.router.access"
    for secret in (TOKEN, CARD, "c2lnbmF0dXJlLXNlY3JldA", "Bearer ey"):
        assert secret not in log
