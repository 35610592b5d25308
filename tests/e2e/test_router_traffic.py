"""A real router process in front of a counting subgraph: de-duplication and persisted queries."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from schema.compose import SubgraphSource, compose
from tests.support.processes import ServiceProcess, free_port, start_service

SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
type Query { hello(name: String): String }
type Mutation { bump: Int }
"""
QUERY = "{ hello }"


class CountingSubgraph:
    """Answers every query after a pause, so concurrent requests overlap; counts requests."""

    def __init__(self, delay: float = 1.5) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with outer.lock:
                    outer.requests.append({"body": body, "headers": dict(self.headers)})
                    count = len(outer.requests)
                time.sleep(delay)
                field = "bump" if "bump" in body["query"] else "hello"
                payload = json.dumps({"data": {field: count if field == "bump" else "world"}})
                encoded = payload.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/graphql"

    def __enter__(self) -> CountingSubgraph:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()


@pytest.fixture(scope="module")
def subgraph() -> Iterator[CountingSubgraph]:
    with CountingSubgraph() as counting:
        yield counting


def start(tmp: Path, subgraph: CountingSubgraph, **settings: Any) -> ServiceProcess:
    supergraph = tmp / "supergraph.graphql"
    supergraph.write_text(compose([SubgraphSource("greeter", subgraph.url, SDL)]))
    port = free_port()
    config = tmp / f"router-{port}.yaml"
    config.write_text(yaml.safe_dump({"dev": False, "authentication": {}, **settings}))
    args = ["router", "--supergraph", str(supergraph), "--config", str(config)]
    return start_service([*args, "--port", str(port)], name="router", port=port, log_dir=tmp)


def burst(url: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda body: client.post(url, json=body), bodies))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("traffic", "expected_fetches"),
    [
        ({"dedupe_requests": False, "dedupe_subgraph_requests": False}, 12),
        ({"dedupe_requests": False, "dedupe_subgraph_requests": True}, 1),
        ({"dedupe_requests": True, "dedupe_subgraph_requests": False}, 1),
    ],
)
def test_identical_concurrent_queries(
    tmp_path: Path,
    subgraph: CountingSubgraph,
    traffic: dict[str, bool],
    expected_fetches: int,
) -> None:
    router = start(tmp_path, subgraph, traffic=traffic)
    try:
        subgraph.reset()
        responses = burst(f"{router.url}/graphql", [{"query": QUERY}] * 12)
        assert [r.json() for r in responses] == [{"data": {"hello": "world"}}] * 12
        assert len(subgraph.requests) == expected_fetches
        subgraph.reset()
        mutations = burst(f"{router.url}/graphql", [{"query": "mutation { bump }"}] * 4)
        assert sorted(r.json()["data"]["bump"] for r in mutations) == [1, 2, 3, 4]
        assert len(subgraph.requests) == 4  # mutations are never shared
    finally:
        router.stop()


@pytest.mark.slow
def test_requests_forwarding_different_headers_are_not_shared(
    tmp_path: Path, subgraph: CountingSubgraph
) -> None:
    rules = {"all": {"request": [{"propagate": {"named": "authorization"}}]}}
    router = start(
        tmp_path,
        subgraph,
        headers=rules,
        traffic={"dedupe_requests": True, "dedupe_subgraph_requests": True},
    )
    try:
        subgraph.reset()
        url = f"{router.url}/graphql"
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(6) as pool:
            users = ["Bearer a", "Bearer b", "Bearer c"] * 2
            list(
                pool.map(
                    lambda user: client.post(
                        url, json={"query": QUERY}, headers={"authorization": user}
                    ),
                    users,
                )
            )
        seen = sorted(r["headers"].get("authorization", "") for r in subgraph.requests)
        assert seen == ["Bearer a", "Bearer b", "Bearer c"]
    finally:
        router.stop()


@pytest.mark.slow
def test_automatic_persisted_queries_over_get_and_post(
    tmp_path: Path, subgraph: CountingSubgraph
) -> None:
    router = start(tmp_path, subgraph, persisted_queries={"enabled": True})  # off in production
    digest = hashlib.sha256(QUERY.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    url = f"{router.url}/graphql"
    try:
        with httpx.Client(timeout=30, headers={"apollo-require-preflight": "true"}) as client:
            params = {"extensions": json.dumps(extensions)}
            missing = client.get(url, params=params)
            assert missing.status_code == 200
            assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            registered = client.post(url, json={"query": QUERY, "extensions": extensions})
            assert registered.json() == {"data": {"hello": "world"}}
            assert client.get(url, params=params).json() == {"data": {"hello": "world"}}
            hashed_post = client.post(url, json={"extensions": extensions})
            assert hashed_post.json() == {"data": {"hello": "world"}}
            wrong = client.post(
                url, json={"query": '{ hello(name: "x") }', "extensions": extensions}
            )
            assert wrong.status_code == 400
            assert wrong.json()["errors"][0]["extensions"]["code"] == (
                "PERSISTED_QUERY_HASH_MISMATCH"
            )
    finally:
        router.stop()
