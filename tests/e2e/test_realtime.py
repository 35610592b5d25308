"""Real time through a real router over real subgraphs (issue #18): subscriptions, @defer.

A client subscribes through the router (WebSocket graphql-transport-ws, or SSE); a mutation
through the router commits a change; the subgraph's stream carries the entity and the router
fetches the event's fields that live in another subgraph (the customer's e-mail, from
customers). The subscriptions subgraph runs as two processes on one database, joined by
Redis pub/sub: a change committed by one reaches a subscriber served by the other.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.sync.server import ServerConnection, serve

from router.auth.subgraph_tokens import HEADER
from router.operation.manifest import FORMAT, sha256
from router.telemetry.streams import EVENT
from subgraphs.common.demo import world
from subgraphs.registry import SERVICES
from tests.kit.otlp import OtlpReceiver, ReceivedSpan
from tests.router.auth.kit import ISSUER, jwks_file, token
from tests.security.router_stack import SUPERGRAPH, start_router
from tests.security.test_router_identity import write_key
from tests.support.databases import fresh_database
from tests.support.identity import bearer, keys, router_defaults
from tests.support.processes import ServiceProcess, free_port, start_service, start_subgraph

pytestmark = pytest.mark.slow

REDIS = "redis://127.0.0.1:6379/0"
WATCH = """
subscription Watch($id: ID!) {
  subscriptionChanged(subscriptionId: $id) {
    id status cancelAtPeriodEnd plan { name } customer { id email }
  }
}"""
CANCEL = """
mutation($id: ID!, $atPeriodEnd: Boolean!) {
  cancelSubscription(id: $id, atPeriodEnd: $atPeriodEnd) { id status }
}"""
ACTIVE = [s for s in world().subscriptions if s.status == "ACTIVE" and not s.cancel_at_period_end]
EMAILS = {c.id: c.email for c in world().customers}


@dataclass
class Stack:
    tmp: Path
    subgraphs: dict[str, ServiceProcess]
    other_subscriptions: ServiceProcess  # the same database, another process
    router: ServiceProcess
    subscriptions_database: str
    spans: OtlpReceiver  # the router's
    metrics_url: str

    @property
    def ws_url(self) -> str:
        return self.router.url.replace("http://", "ws://") + "/graphql"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("subscriptions")
    env = {"SUBSCRIPTIONS_EVENTS_REDIS_URL": REDIS}
    with ExitStack() as exits:
        subgraphs, urls = {}, {}
        for name in SERVICES:
            url = exits.enter_context(fresh_database("sqlite", name, tmp))
            subgraphs[name] = start_subgraph(name, url, tmp, env)
            exits.callback(subgraphs[name].stop)
            urls[name] = f"{subgraphs[name].url}/graphql"
            if name == "subscriptions":
                database = url
        port = free_port()
        other = start_service(
            ["subgraph", "subscriptions", "--port", str(port), "--database-url", database],
            name="subscriptions-2", port=port, log_dir=tmp, env=env,
        )  # fmt: skip
        exits.callback(other.stop)
        receiver = exits.enter_context(OtlpReceiver())
        metrics_port = free_port()
        settings = {
            "subscriptions": {"enabled": True, "max_per_connection": 2},
            # no leeway: a short-lived token's subscription ends at its `exp`
            "authentication": {**router_defaults()["authentication"], "leeway_seconds": 0},
            "persisted_queries": {"enabled": True},  # APQ (off by default in production)
            "telemetry": {
                "tracing": {
                    "enabled": True,
                    "endpoint": receiver.endpoint,
                    "schedule_delay_seconds": 0.1,
                },
                "metrics": {"enabled": True, "port": metrics_port},
            },
        }
        router = start_router(tmp, urls, **settings)
        router.client.headers.update(bearer())  # as a router with the default settings gets
        exits.callback(router.stop)
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        yield Stack(tmp, subgraphs, other, router, database, receiver, metrics_url)


@contextmanager
def open_socket(url: str, **init: Any) -> Iterator[ClientConnection]:
    protocols: Any = ["graphql-transport-ws"]
    # an admin identity: the fields watched are @authenticated (an anonymous client is refused)
    with connect(
        url, subprotocols=protocols, open_timeout=30, additional_headers=bearer()
    ) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": init}))
        assert receive(socket) == {"type": "connection_ack"}
        yield socket


def receive(socket: ClientConnection) -> dict[str, Any]:
    deadline = time.monotonic() + 60  # a liveness bound: heartbeats do not extend it
    while True:
        message: dict[str, Any] = json.loads(socket.recv(timeout=deadline - time.monotonic()))
        if message.get("type") == "ping":
            socket.send('{"type":"pong"}')
            continue
        return message


def closed_with(socket: ClientConnection, *, answer_pings: bool = True) -> int | None:
    """Read until the router closes the connection; its close code."""
    try:
        while True:
            receive(socket) if answer_pings else socket.recv(timeout=60)
    except ConnectionClosed:
        return socket.close_code


def subscribe(socket: ClientConnection, id_: str, subscription_id: str) -> None:
    payload = {"query": WATCH, "variables": {"id": subscription_id}, "operationName": "Watch"}
    socket.send(json.dumps({"id": id_, "type": "subscribe", "payload": payload}))


def cancel(process: ServiceProcess, subscription_id: str, at_period_end: bool) -> None:
    process.data(CANCEL, {"id": subscription_id, "atPeriodEnd": at_period_end})


def test_websocket_event_carries_fields_of_another_subgraph(stack: Stack) -> None:
    watched = ACTIVE[0]
    with open_socket(stack.ws_url) as socket:
        subscribe(socket, "a", watched.id)
        first = receive(socket)
        assert (first["type"], first["id"]) == ("next", "a")
        event = first["payload"]["data"]["subscriptionChanged"]
        assert (event["status"], event["cancelAtPeriodEnd"]) == ("ACTIVE", False)
        assert event["customer"] == {
            "id": watched.customer_id,
            "email": EMAILS[watched.customer_id],
        }

        cancel(stack.router, watched.id, at_period_end=True)  # a mutation through the router
        changed = receive(socket)["payload"]
        assert "errors" not in changed
        event = changed["data"]["subscriptionChanged"]
        assert (event["status"], event["cancelAtPeriodEnd"]) == ("ACTIVE", True)
        assert event["customer"]["email"] == EMAILS[watched.customer_id]
        assert event["plan"]["name"]

        socket.send(json.dumps({"id": "a", "type": "complete"}))


def test_a_change_committed_by_another_process_arrives_through_redis(stack: Stack) -> None:
    watched = ACTIVE[1]
    with open_socket(stack.ws_url) as socket:
        subscribe(socket, "b", watched.id)
        assert receive(socket)["payload"]["data"]["subscriptionChanged"]["status"] == "ACTIVE"
        cancel(stack.other_subscriptions, watched.id, at_period_end=False)
        event = receive(socket)["payload"]["data"]["subscriptionChanged"]
        assert event["status"] == "CANCELED"
        assert event["customer"]["email"] == EMAILS[watched.customer_id]


def test_server_sent_events(stack: Stack) -> None:
    watched = ACTIVE[2]
    body = {"query": WATCH, "variables": {"id": watched.id}}
    headers = {"accept": "text/event-stream", **bearer()}
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", f"{stack.router.url}/graphql", json=body, headers=headers) as reply,
    ):
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = sse_events(reply.iter_lines())
        first = next(events)
        assert first["data"]["subscriptionChanged"]["status"] == "ACTIVE"
        cancel(stack.router, watched.id, at_period_end=False)
        assert next(events)["data"]["subscriptionChanged"]["status"] == "CANCELED"


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "next":
            yield json.loads(line.removeprefix("data: "))


def test_a_subscription_ends_when_its_token_expires_on_every_protocol(stack: Stack) -> None:
    watched = ACTIVE[6]
    short = f"Bearer {keys().token('staff-short', ['admin'], seconds=5)}"
    body = {"query": WATCH, "variables": {"id": watched.id}}
    sse_accept = {"accept": "text/event-stream", "authorization": short}
    multipart_accept = {"accept": 'multipart/mixed;subscriptionSpec="1.0"', "authorization": short}
    url = f"{stack.router.url}/graphql"
    with ExitStack() as streams:
        socket = streams.enter_context(open_socket(stack.ws_url, authorization=short))
        subscribe(socket, "x", watched.id)
        assert receive(socket)["type"] == "next"
        client = streams.enter_context(httpx.Client(timeout=60))
        sse = sse_events(
            streams.enter_context(
                client.stream("POST", url, json=body, headers=sse_accept)
            ).iter_lines()
        )
        assert next(sse)["data"]["subscriptionChanged"]["id"] == watched.id
        parts = multipart_payloads(
            streams.enter_context(client.stream("POST", url, json=body, headers=multipart_accept))
        )
        assert next(parts)["data"]["subscriptionChanged"]["id"] == watched.id
        running = metrics(stack)
        for protocol in PROTOCOLS:
            assert running[("subscriptions_active", protocol)] >= 1
        assert running[("subgraph_streams_active", "subscriptions")] >= 1

        ended = receive(socket)  # no sleep: the router says so when the token expires
        assert (ended["id"], ended["type"]) == ("x", "next")
        assert_expired(ended["payload"])
        assert receive(socket) == {"id": "x", "type": "complete"}
        assert closed_with(socket) == 4403  # graphql-ws reconnects, with fresh connectionParams
        assert_expired(next(sse))
        assert list(sse) == []  # then `complete`, and the response ends
        assert_expired(next(parts))
        assert list(parts) == []  # then the closing boundary

    after = metrics(stack)
    for protocol in PROTOCOLS:
        assert after[("subscription_errors", "UNAUTHENTICATED", protocol)] >= 1
        assert after[("subscription_events", protocol)] >= 2

    def expired_spans(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [s for s in spans if s.attributes.get("error.type") == "UNAUTHENTICATED"]

    spans = expired_spans(stack.spans.wait_for(lambda got: len(expired_spans(got)) == 3))
    assert {s.attributes["network.protocol.name"] for s in spans} == set(PROTOCOLS)
    for span in spans:
        assert (span.name, span.status_code) == ("subscription Watch", 2)  # ERROR
        assert span.events == (EVENT, EVENT)  # the first event, then the expiry


PROTOCOLS = ("graphql-transport-ws", "sse", "multipart")


def metrics(stack: Stack) -> dict[tuple[str, ...], float]:
    """The router's subscription metrics: (name without prefix and suffix, *labels) → value."""
    values: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(httpx.get(stack.metrics_url, timeout=30).text):
        for sample in family.samples:
            name = sample.name.removeprefix("switchboard_router_").removesuffix("_total")
            if "subscription" in name or "stream" in name:
                labels = tuple(sample.labels[k] for k in sorted(sample.labels))
                values[(name, *labels)] = sample.value
    return values


def assert_expired(body: dict[str, Any]) -> None:
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["extensions"]["reason"] == "expired"
    assert body["data"] is None


def multipart_payloads(reply: httpx.Response) -> Iterator[dict[str, Any]]:
    """Each part's ``payload`` (heartbeats skipped); ends with the closing boundary."""
    assert reply.headers["content-type"].startswith("multipart/mixed")
    for line in reply.iter_lines():
        if line == "--graphql--":
            return
        if line.startswith("{") and line != "{}":
            yield json.loads(line)["payload"]
    raise AssertionError("the multipart response ended without its closing boundary")


def test_limits_and_transports_are_refused_with_codes(stack: Stack) -> None:
    plain = stack.router.client.post(
        f"{stack.router.url}/graphql", json={"query": WATCH, "variables": {"id": ACTIVE[3].id}}
    )
    assert codes(plain.json()) == ["OPERATION_NOT_SUPPORTED"]
    # anonymously too: refused for its transport before authorization empties it
    anonymous = httpx.post(f"{stack.router.url}/graphql", json={"query": WATCH,
                           "variables": {"id": ACTIVE[3].id}}, timeout=30)  # fmt: skip
    assert codes(anonymous.json()) == ["OPERATION_NOT_SUPPORTED"], anonymous.text
    with open_socket(stack.ws_url) as socket:
        for id_ in ("1", "2"):
            subscribe(socket, id_, ACTIVE[3].id)
            assert receive(socket)["type"] == "next"
        subscribe(socket, "3", ACTIVE[3].id)
        refused = receive(socket)
        assert (refused["id"], refused["type"]) == ("3", "error")
        assert codes({"errors": refused["payload"]}) == ["SUBSCRIPTION_LIMIT"]
        subscribe(socket, "1", ACTIVE[3].id)  # "1" still runs: a duplicate id closes
        assert closed_with(socket) == 4409


def test_multipart_http_subscription(stack: Stack) -> None:
    body = {"query": WATCH, "variables": {"id": ACTIVE[4].id}}
    headers = {"accept": 'multipart/mixed;subscriptionSpec="1.0", application/json', **bearer()}
    with (
        httpx.Client(timeout=60) as client,
        client.stream("POST", f"{stack.router.url}/graphql", json=body, headers=headers) as reply,
    ):
        assert reply.headers["content-type"].startswith("multipart/mixed")
        assert 'boundary="graphql"' in reply.headers["content-type"]
        lines = (line for line in reply.iter_lines() if line.startswith("{"))
        part = json.loads(next(lines))
        assert part["payload"]["data"]["subscriptionChanged"]["id"] == ACTIVE[4].id


def test_reload_idle_and_shutdown_end_streams_with_a_reason(stack: Stack) -> None:
    urls = {name: f"{p.url}/graphql" for name, p in stack.subgraphs.items()}
    supergraph = stack.tmp / "supergraph-reloaded.graphql"
    supergraph.write_text(SUPERGRAPH.read_text())
    settings = {
        "dev": False,
        "subgraph_urls": urls,
        "subscriptions": {
            "enabled": True,
            "idle_timeout_seconds": 0.5,
            "ping_interval_seconds": 0.5,
        },
        "hot_reload": {"enabled": True, "interval_seconds": 0.2},
    }
    port = free_port()
    config = stack.tmp / f"router-{port}.yaml"
    config.write_text(yaml.safe_dump(settings))
    router = start_service(
        ["router", "--supergraph", str(supergraph), "--config", str(config), "--port", str(port)],
        name="router", port=port, log_dir=stack.tmp,
    )  # fmt: skip
    url = router.url.replace("http://", "ws://") + "/graphql"
    try:
        with open_socket(url) as idle:
            assert closed_with(idle) == 1000  # no subscription: the idle timeout
        with open_socket(url) as deaf:  # answers no ping
            subscribe(deaf, "d", ACTIVE[4].id)
            assert closed_with(deaf, answer_pings=False) == 4408
        with open_socket(url) as socket:
            subscribe(socket, "r", ACTIVE[4].id)
            assert receive(socket)["type"] == "next"
            supergraph.write_text(SUPERGRAPH.read_text() + "\n# changed\n")
            assert codes(receive(socket)["payload"]) == ["SUBSCRIPTION_SCHEMA_RELOAD"]
            assert receive(socket) == {"id": "r", "type": "complete"}
            subscribe(socket, "s", ACTIVE[4].id)
            assert receive(socket)["type"] == "next"
            router.process.send_signal(signal.SIGTERM)
            ended = receive(socket)
            assert codes(ended["payload"]) == ["SUBSCRIPTION_ROUTER_SHUTDOWN"]
            assert receive(socket) == {"id": "s", "type": "complete"}
            assert closed_with(socket) == 1001
    finally:
        router.stop()


class FakeSubgraph:
    """A graphql-transport-ws server in a thread: records what the router sends, answers one
    event, completes."""

    def __init__(self) -> None:
        self.handshakes: list[dict[str, str]] = []
        self.inits: list[dict[str, Any]] = []
        self.server = serve(self._serve, "127.0.0.1", 0, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.socket.getsockname()[1]}/graphql"

    def _serve(self, socket: ServerConnection) -> None:
        assert socket.request is not None
        self.handshakes.append({k.lower(): v for k, v in socket.request.headers.raw_items()})
        self.inits.append(json.loads(socket.recv()))
        socket.send('{"type":"connection_ack"}')
        subscribe = json.loads(socket.recv())
        event = {"subscriptionChanged": {"id": "sub_1", "status": "ACTIVE"}}
        socket.send(json.dumps({"id": subscribe["id"], "type": "next", "payload": {"data": event}}))
        socket.send(json.dumps({"id": subscribe["id"], "type": "complete"}))

    def close(self) -> None:
        self.server.shutdown()


def test_the_subgraph_stream_carries_the_router_signed_identity(stack: Stack) -> None:
    fake = FakeSubgraph()
    key = write_key(stack.tmp / "router.pem")
    router = start_router(
        stack.tmp, {"subscriptions": fake.url}, subscriptions={"enabled": True},
        authentication={"jwks": [{"file": str(jwks_file(stack.tmp))}], "issuers": [ISSUER]},
        subgraph_auth={"private_key_file": str(stack.tmp / "router.pem")},
    )  # fmt: skip
    query = "subscription { subscriptionChanged(subscriptionId: 1) { id status } }"
    payload = {"query": query}
    try:
        url = router.url.replace("http://", "ws://") + "/graphql"
        with open_socket(url, authorization=f"Bearer {token('cus_9', scopes='customer')}") as ws:
            ws.send(json.dumps({"id": "i", "type": "subscribe", "payload": payload}))
            assert receive(ws)["payload"] == {"data": {"subscriptionChanged": fake_event()}}
            assert receive(ws) == {"id": "i", "type": "complete"}
        with open_socket(url, authorization="Bearer not-a-token") as ws:
            ws.send(json.dumps({"id": "j", "type": "subscribe", "payload": payload}))
            refused = receive(ws)
            assert refused["type"] == "error"
            assert codes({"errors": refused["payload"]}) == ["UNAUTHENTICATED"]
    finally:
        router.stop()
        fake.close()
    assert len(fake.handshakes) == 1  # the refused one never reached the subgraph
    sent = fake.handshakes[0]
    assert "authorization" not in sent  # the client's token stays at the router
    for signed in (sent["x-switchboard-identity"], fake.inits[0]["payload"]["headers"][HEADER]):
        claims = jwt.decode(signed, key.public_key(), algorithms=["EdDSA"],
                            audience="subscriptions", issuer="switchboard-router")  # fmt: skip
        assert (claims["sub"], claims["scope"]) == ("cus_9", "customer")


def fake_event() -> dict[str, Any]:
    return {"id": "sub_1", "status": "ACTIVE"}


class HeldSubgraph:
    """A graphql-transport-ws server in a thread that keeps every subscription open: the test
    ``push``es events to all of them and counts the streams the router opened."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.opened = 0  # subscribe messages received
        self.open: dict[ServerConnection, str] = {}  # running streams: their subscription id
        self.server = serve(self._serve, "127.0.0.1", 0, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.socket.getsockname()[1]}/graphql"

    def _serve(self, socket: ServerConnection) -> None:
        socket.recv()  # connection_init
        socket.send('{"type":"connection_ack"}')
        subscribe = json.loads(socket.recv())
        with self.changed:
            self.opened += 1
            self.open[socket] = subscribe["id"]
            self.changed.notify_all()
        try:
            while json.loads(socket.recv()).get("type") != "complete":
                pass
        except ConnectionClosed:
            pass
        finally:
            with self.changed:
                del self.open[socket]
                self.changed.notify_all()

    def wait_until(self, opened: int, running: int) -> None:
        with self.changed:
            seen = self.changed.wait_for(
                lambda: (self.opened, len(self.open)) == (opened, running), timeout=60
            )  # a liveness bound
            assert seen, f"opened {self.opened}, running {len(self.open)}"

    def push(self, status: str) -> None:
        customer = {"__typename": "Customer", "id": ACTIVE[0].customer_id}
        event = {"subscriptionChanged": {"id": "sub_1", "status": status, "customer": customer}}
        with self.changed:
            for socket, id_ in self.open.items():
                socket.send(json.dumps({"id": id_, "type": "next", "payload": {"data": event}}))

    def close(self) -> None:
        self.server.shutdown()


SHARED = (
    "subscription Shared { subscriptionChanged(subscriptionId: 1) { status customer { email } } }"
)
# another client operation, the same subgraph subscription (its name is in the subgraph's
# operation too): only the entity fetch differs
NAMED = (
    "subscription Shared { subscriptionChanged(subscriptionId: 1) { status customer { name } } }"
)


@dataclass
class HeldStack:
    held: HeldSubgraph
    router: ServiceProcess  # over it and the real subgraphs, running only trusted documents


@pytest.fixture(scope="module")
def held_stack(stack: Stack) -> Iterator[HeldStack]:
    held = HeldSubgraph()
    urls = {name: f"{p.url}/graphql" for name, p in stack.subgraphs.items()}
    manifest = stack.tmp / "trusted-documents.json"
    operations = [{"id": sha256(body), "body": body} for body in (SHARED, NAMED, DEFERRED)]
    manifest.write_text(json.dumps({"format": FORMAT, "version": 1, "operations": operations}))
    router = start_router(
        stack.tmp, {**urls, "subscriptions": held.url}, subscriptions={"enabled": True},
        persisted_queries={"manifest": str(manifest), "safelist": "enforce"},
    )  # fmt: skip
    try:
        yield HeldStack(held, router)
    finally:
        router.stop()
        held.close()


def test_identical_subscriptions_share_one_subgraph_stream(held_stack: HeldStack) -> None:
    held, router = held_stack.held, held_stack.router
    url = router.url.replace("http://", "ws://") + "/graphql"
    customer = next(c for c in world().customers if c.id == ACTIVE[0].customer_id)
    fetched = {"1": {"email": customer.email}, "2": {"name": customer.name}}

    def status(socket: ClientConnection, id_: str) -> str:
        message = receive(socket)
        assert (message["id"], message["type"]) == (id_, "next")
        event = message["payload"]["data"]["subscriptionChanged"]
        assert event["customer"] == fetched[id_]  # each client's own entity fetch
        return str(event["status"])

    payload = {"query": SHARED}
    with open_socket(url) as first, open_socket(url) as second:
        first.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        held.wait_until(opened=1, running=1)
        named = {"query": NAMED}
        second.send(json.dumps({"id": "2", "type": "subscribe", "payload": named}))
        held.push("ACTIVE")
        assert (status(first, "1"), status(second, "2")) == ("ACTIVE", "ACTIVE")
        held.push("PAST_DUE")
        assert (status(first, "1"), status(second, "2")) == ("PAST_DUE", "PAST_DUE")
        held.wait_until(opened=1, running=1)  # one stream for both

        other = {"authorization": f"Bearer {keys().token('staff-other', ['admin'])}"}
        with open_socket(url, **other) as third:  # another identity: a stream of its own
            third.send(json.dumps({"id": "3", "type": "subscribe", "payload": payload}))
            held.wait_until(opened=2, running=2)
        held.wait_until(opened=2, running=1)  # it left: its stream closed

        first.send(json.dumps({"id": "1", "type": "complete"}))
        held.push("CANCELED")  # the second keeps the stream
        assert status(second, "2") == "CANCELED"
        held.wait_until(opened=2, running=1)
        second.send(json.dumps({"id": "2", "type": "complete"}))
        held.wait_until(opened=2, running=0)  # the last one left: the stream closed


DEFERRED = """
query Deferred($later: Boolean!) {
  invoices(first: 2) {
    nodes {
      id status
      ... @defer(label: "customer") { customer { email ... @defer(label: "name") { name } } }
      ... on Invoice @defer(if: $later) { lines { description } }
    }
  }
}"""
INCREMENTAL = "multipart/mixed;deferSpec=20220824, application/json"


def multipart_parts(reply: httpx.Response) -> list[dict[str, Any]]:
    assert reply.headers["content-type"].startswith("multipart/mixed")
    chunks = reply.text.split("\r\n--graphql")
    return [json.loads(c.split("\r\n\r\n", 1)[1]) for c in chunks if "\r\n\r\n" in c]


def test_defer_sends_the_initial_payload_then_each_deferred_part(stack: Stack) -> None:
    body = {"query": DEFERRED, "variables": {"later": False}}
    reply = stack.router.client.post(
        f"{stack.router.url}/graphql", json=body, headers={"accept": INCREMENTAL, **bearer()}
    )
    assert_deferred(multipart_parts(reply))

    inline = stack.router.client.post(f"{stack.router.url}/graphql", json=body).json()
    assert "errors" not in inline
    node = inline["data"]["invoices"]["nodes"][0]
    assert set(node) == {"id", "status", "lines", "customer"}
    assert set(node["customer"]) == {"email", "name"}


def assert_deferred(parts: list[dict[str, Any]]) -> None:
    """DEFERRED's parts, with ``later: false``."""
    first, *rest = parts
    nodes = first["data"]["invoices"]["nodes"]
    assert first["hasNext"] is True
    assert [set(n) for n in nodes] == [{"id", "status", "lines"}] * 2  # if: false → inline
    customers = rest[0]["incremental"]
    assert [i["path"] for i in customers] == [["invoices", "nodes", 0], ["invoices", "nodes", 1]]
    assert {i["label"] for i in customers} == {"customer"}
    assert all("@" in i["data"]["customer"]["email"] for i in customers)
    assert "name" not in customers[0]["data"]["customer"]
    names = rest[1]["incremental"]  # nested: after the part it sits in
    assert [i["path"] for i in names] == [["invoices", "nodes", 0, "customer"],
                                          ["invoices", "nodes", 1, "customer"]]  # fmt: skip
    assert all(i["label"] == "name" and i["data"]["name"] for i in names)
    assert [p["hasNext"] for p in rest] == [True, False]


def test_defer_by_apq_hash_and_over_get(stack: Stack) -> None:
    url, variables = f"{stack.router.url}/graphql", {"later": False}
    apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256(DEFERRED)}}
    incremental = {"accept": INCREMENTAL}
    by_hash = {"extensions": apq, "variables": variables}
    unknown = stack.router.client.post(url, json=by_hash, headers=incremental)
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    registering = {"query": DEFERRED, **by_hash}
    assert_deferred(multipart_parts(stack.router.client.post(url, json=registering,
                                                             headers=incremental)))  # fmt: skip
    assert_deferred(multipart_parts(stack.router.client.post(url, json=by_hash,
                                                             headers=incremental)))  # fmt: skip

    get = {**incremental, "apollo-require-preflight": "true"}  # CSRF: GET needs the header
    params = {"extensions": json.dumps(apq), "variables": json.dumps(variables)}
    assert_deferred(multipart_parts(stack.router.client.get(url, params=params, headers=get)))
    params = {"query": DEFERRED, "variables": json.dumps(variables)}
    assert_deferred(multipart_parts(stack.router.client.get(url, params=params, headers=get)))
    forged = stack.router.client.get(url, params=params, headers=incremental)
    assert codes(forged.json()) == ["CSRF_ERROR"]  # the deferred path keeps the CSRF rule
    mutation = "mutation { ... @defer { cancelSubscription(id: 1, atPeriodEnd: true) { id } } }"
    refused = stack.router.client.get(url, params={"query": mutation}, headers=get)
    assert codes(refused.json()) == ["METHOD_NOT_ALLOWED"]


def test_defer_runs_from_trusted_documents_only(held_stack: HeldStack) -> None:
    router, variables = held_stack.router, {"later": False}
    url, incremental = f"{router.url}/graphql", {"accept": INCREMENTAL}
    apq = {"persistedQuery": {"version": 1, "sha256Hash": sha256(DEFERRED)}}
    listed = router.client.post(url, json={"extensions": apq, "variables": variables},
                                headers=incremental)  # fmt: skip
    assert_deferred(multipart_parts(listed))  # its derived operations are not refused
    text = router.client.post(url, json={"query": DEFERRED, "variables": variables},
                              headers=incremental)  # fmt: skip
    assert_deferred(multipart_parts(text))
    unlisted = DEFERRED.replace('label: "name"', 'label: "other"')
    refused = router.client.post(url, json={"query": unlisted, "variables": variables},
                                 headers=incremental)  # fmt: skip
    assert codes(refused.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]


def test_losing_the_broker_ends_the_subscription_with_a_code(stack: Stack) -> None:
    port = free_port()
    broker = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        env = {"SUBSCRIPTIONS_EVENTS_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        own = start_service(
            ["subgraph", "subscriptions", "--port", str(sub_port := free_port()),
             "--database-url", stack.subscriptions_database],
            name="subscriptions-own-broker", port=sub_port, log_dir=stack.tmp, env=env,
        )  # fmt: skip
        urls = {name: f"{p.url}/graphql" for name, p in stack.subgraphs.items()}
        router = start_router(stack.tmp, {**urls, "subscriptions": f"{own.url}/graphql"},
                              subscriptions={"enabled": True})  # fmt: skip
        try:
            with open_socket(router.url.replace("http://", "ws://") + "/graphql") as socket:
                subscribe(socket, "b", ACTIVE[5].id)
                assert receive(socket)["type"] == "next"
                broker.kill()
                ended = receive(socket)
                assert ended["type"] == "next"
                assert "SERVICE_UNAVAILABLE" in codes(ended["payload"])
                assert receive(socket)["type"] == "complete"
        finally:
            router.stop()
            own.stop()
    finally:
        broker.kill()
        broker.wait()


def test_a_subgraph_that_drops_the_stream_ends_it_with_a_code(stack: Stack) -> None:
    """Last: it kills the subscriptions subgraph the router subscribes through."""
    with open_socket(stack.ws_url) as socket:
        subscribe(socket, "k", ACTIVE[5].id)
        assert receive(socket)["type"] == "next"
        stack.subgraphs["subscriptions"].process.kill()
        ended = receive(socket)
        assert ended["type"] == "next"
        assert codes(ended["payload"]) == ["SUBSCRIPTION_STREAM_CLOSED"]
        assert ended["payload"]["errors"][0]["extensions"]["serviceName"] == "subscriptions"
        assert receive(socket) == {"id": "k", "type": "complete"}


def codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
