"""Two real routers share APQ documents through Redis; with Redis unreachable each serves alone."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml

from tests.e2e.echo_subgraph import EchoServer, start_echo, supergraph_sdl
from tests.e2e.test_reload import wait_for
from tests.e2e.test_router_telemetry import sample
from tests.support.processes import ServiceProcess, free_port, start_service

REDIS_URL = "redis://127.0.0.1:6379/0"
UNREACHABLE = "redis://127.0.0.1:9/0"  # the discard port: connections are refused
QUERY = "query Shared { hello }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
BY_HASH = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}}
REGISTER = {"query": QUERY, **BY_HASH}


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EchoServer, Path]]:
    tmp = tmp_path_factory.mktemp("shared-apq")
    server = start_echo(tmp)
    supergraph = tmp / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(server.url, {"alpha": ["hello"]}))
    yield server, supergraph
    server.stop()


def start_router(
    tmp: Path, supergraph: Path, redis_url: str, prefix: str
) -> tuple[ServiceProcess, str]:
    """A production-mode router sharing APQ through ``redis_url``, and its metrics URL."""
    metrics_port = free_port()
    settings: dict[str, Any] = {
        "dev": False,
        "persisted_queries": {"enabled": True, "redis_url": redis_url, "redis_prefix": prefix},
        "telemetry": {"metrics": {"enabled": True, "port": metrics_port}},
    }
    port = free_port()
    config = tmp / f"router-{port}.yaml"
    config.write_text(yaml.safe_dump(settings))
    args = ["router", "--config", str(config), "--supergraph", str(supergraph)]
    router = start_service([*args, "--port", str(port)], name="router", port=port, log_dir=tmp)
    return router, f"http://127.0.0.1:{metrics_port}/metrics"


def ask(router: ServiceProcess, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = router.client.post(f"{router.url}/graphql", json=body).json()
    return answer


def codes(answer: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in answer.get("errors", [])]


def test_a_hash_registered_on_one_router_works_on_another(
    echo: tuple[EchoServer, Path], tmp_path: Path
) -> None:
    prefix = f"switchboard:test:{uuid.uuid4().hex}:"
    one, _ = start_router(tmp_path, echo[1], REDIS_URL, prefix)
    two, _ = start_router(tmp_path, echo[1], REDIS_URL, prefix)
    store = redis.Redis.from_url(REDIS_URL)
    try:
        assert codes(ask(two, BY_HASH)) == ["PERSISTED_QUERY_NOT_FOUND"]
        assert ask(one, REGISTER) == {"data": {"hello": "hello"}}
        wait_for(lambda: store.get(prefix + DIGEST) is not None, "the document in Redis")
        assert ask(two, BY_HASH) == {"data": {"hello": "hello"}}  # registered on `one`
        store.set(prefix + "0" * 64, "{ hello }")  # a document that is not its hash
        forged = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
        assert codes(ask(two, forged)) == ["PERSISTED_QUERY_NOT_FOUND"]
        assert "does not match its hash" in two.log()
    finally:
        one.stop()
        two.stop()
        store.delete(prefix + DIGEST, prefix + "0" * 64)
        store.close()


def test_with_redis_unreachable_a_router_serves_from_its_own_documents(
    echo: tuple[EchoServer, Path], tmp_path: Path
) -> None:
    router, metrics_url = start_router(tmp_path, echo[1], UNREACHABLE, "switchboard:test:")
    try:
        assert codes(ask(router, BY_HASH)) == ["PERSISTED_QUERY_NOT_FOUND"]
        assert ask(router, REGISTER) == {"data": {"hello": "hello"}}
        assert ask(router, BY_HASH) == {"data": {"hello": "hello"}}

        def fallbacks() -> float:
            text = httpx.get(metrics_url, timeout=10).text
            if sample(text, "switchboard_router_redis_up", use="apq") != 0:
                return 0
            return sample(text, "switchboard_router_redis_fallbacks_total", use="apq")

        wait_for(lambda: fallbacks() >= 1, "the fallback in the metrics")
        log = router.log()
        assert log.count("APQ: Redis unreachable") == 1  # once per outage, not per request
        assert "Traceback" not in log
    finally:
        router.stop()
