"""Each attack from the hostile-input report, against a production-mode router and real subgraphs.

Every test checks the status and the code, that `/health` kept answering while the attack
ran (a probe on its own thread; its slowest answer is printed, not asserted: timings are for
benchmarks), and the router's memory afterwards.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.security.router_stack import (
    BlackHole,
    HealthProbe,
    Subgraphs,
    codes,
    post,
    rss_mb,
    running_subgraphs,
    start_router,
)
from tests.support.processes import ROOT, ServiceProcess

RSS_BOUND_MB = 250  # the router idles at ~75 MB; no attack may leave it far above


@pytest.fixture(scope="module")
def subgraphs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subgraphs]:
    with running_subgraphs(tmp_path_factory.mktemp("attacked")) as running:
        yield running


@pytest.fixture(scope="module")
def router(
    subgraphs: Subgraphs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    process = start_router(tmp_path_factory.mktemp("router"), subgraphs.urls())
    yield process
    process.stop()


def attack(router: ServiceProcess, query: str) -> httpx.Response:
    with HealthProbe(router.url) as probe:
        response = post(router, query)
    print(probe.report())
    assert probe.failures == []
    assert probe.latencies, "/health never answered during the attack"
    assert response.status_code < 500
    assert rss_mb(router) < RSS_BOUND_MB
    return response


def doubling(levels: int, spreads: int, on: str, fields: str) -> str:
    parts = []
    for i in range(levels - 1):
        parts.append(f"fragment F{i} on {on} {{ {fields} " + f"...F{i + 1} " * spreads + "}")
    parts.append(f"fragment F{levels - 1} on {on} {{ {fields} }}")
    return " ".join(parts)


def test_thirty_fragments_each_spread_twice_answer_at_once(router: ServiceProcess) -> None:
    query = "{ ...F0 } " + doubling(30, 2, "Query", "__typename")
    response = attack(router, query)
    assert response.json() == {"data": {"__typename": "Query"}}


def test_twenty_two_levels_of_two_spreads(router: ServiceProcess) -> None:
    query = "{ ...F0 } " + doubling(22, 2, "Query", "__typename plans { code }")
    response = attack(router, query)
    assert "errors" not in response.json()
    assert response.json()["data"]["plans"]


def test_eight_levels_of_eight_spreads_over_real_fields(router: ServiceProcess) -> None:
    query = "{ customers(first: 3) { nodes { ...F0 } } } " + doubling(
        8, 8, "Customer", "id name email"
    )
    response = attack(router, query)
    body = response.json()
    assert "errors" not in body, body
    assert set(body["data"]["customers"]["nodes"][0]) == {"id", "name", "email"}


def test_doubling_that_cannot_merge_is_refused_by_the_field_limit(router: ServiceProcess) -> None:
    parts = ["{ ...F0 }"]
    for i in range(29):
        spread = f"... on Query {{ ...F{i + 1} }}"
        parts.append(f"fragment F{i} on Query {{ {spread} __typename {spread} }}")
    parts.append("fragment F29 on Query { __typename }")
    assert codes(attack(router, " ".join(parts))) == ["MAX_FIELDS_LIMIT"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ " + " ".join(f"a{i}: products(first: 1) {{ nodes {{ id }} }}" for i in range(10_000))
         + " }", "MAX_TOKENS_LIMIT"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }", "MAX_TOKENS_LIMIT"),
        ("{ plans { " + "code " * 5_000 + "} }", "MAX_TOKENS_LIMIT"),
        ("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }", "MAX_ALIASES_LIMIT"),
        ("{" + "customers { nodes { orders { nodes { customer { " * 7 + "id" + " } } } } }" * 7
         + "}", "MAX_DEPTH_LIMIT"),
        ("{" + "customer(id: 1) { " * 400 + "id" + " }" * 400 + "}", "MAX_DEPTH_LIMIT"),
    ],
    ids=["10k aliased products", "10k aliased __typename", "5k same-name fields", "31 aliases",
         "depth 35", "nesting 400"],
)  # fmt: skip
def test_oversized_operations_are_refused_with_their_limit(
    router: ServiceProcess, query: str, code: str
) -> None:
    assert codes(attack(router, query)) == [code]


def test_same_name_fields_under_the_token_limit_are_one_field(router: ServiceProcess) -> None:
    response = attack(router, "{ plans { " + "code " * 4_000 + "} }")
    assert "errors" not in response.json()


def test_many_fetches_are_refused_before_any_is_sent(subgraphs: Subgraphs, tmp_path: Path) -> None:
    """150 aliases of a cross-subgraph field would open 150 parallel fetches."""
    limits = {"max_aliases": 1000, "max_root_fields": 1000}
    router = start_router(tmp_path, subgraphs.urls(), limits=limits)
    try:
        aliases = " ".join(f"c{i}: customers(first: 1) {{ nodes {{ taxRate {{ name }} }} }}"
                           for i in range(150))  # fmt: skip
        response = attack(router, "{ " + aliases + " }")
        assert codes(response) == ["MAX_FETCHES_LIMIT"]
        assert "150" in response.json()["errors"][0]["message"] or "fetches" in response.text
    finally:
        router.stop()


def test_large_distinct_documents_do_not_accumulate(router: ServiceProcess) -> None:
    """Twenty different 200 KB documents: the cache is bounded in bytes, not only entries."""
    before = rss_mb(router)
    for n in range(20):
        padding = f"{n}-" + "x" * 200_000
        response = post(router, f'{{ customer(id: "{padding}") {{ id }} }}')
        assert response.status_code < 500
    after = rss_mb(router)
    print(f"RSS {before:.0f} → {after:.0f} MB")
    assert after - before < 120
    assert after < RSS_BOUND_MB


def test_a_hung_subgraph_fails_fast_once_its_queue_is_full(
    subgraphs: Subgraphs, tmp_path: Path
) -> None:
    hole = BlackHole()
    router = start_router(
        tmp_path,
        subgraphs.urls(invoices=hole.url),
        subgraph_timeout_seconds=3,
        subgraphs={"invoices": {"max_concurrency": 2, "max_queued": 2}},
    )
    try:

        def distinct(n: int) -> str:  # identical queries would share one in-flight fetch
            return f"{{ invoices(first: {n + 1}) {{ nodes {{ id }} }} }}"

        with HealthProbe(router.url) as probe, ThreadPoolExecutor(10) as pool:
            responses = list(pool.map(lambda n: post(router, distinct(n)), range(10)))
            ordinary = post(router, "{ plans { code } }")  # another subgraph serves on
        print(probe.report())
        assert probe.failures == []
        assert "errors" not in ordinary.json()
        reasons = [r.json()["errors"][0]["extensions"].get("reason") for r in responses]
        messages = [r.json()["errors"][0]["message"] for r in responses]
        assert {c for r in responses for c in codes(r)} == {"SUBREQUEST_HTTP_ERROR"}
        assert reasons.count("overloaded") >= 5  # beyond 2 in flight and 2 waiting
        assert sum("timed out" in m for m in messages) >= 2  # in flight or queued: the timeout
    finally:
        router.stop()
        hole.close()


def test_apq_registration_is_off_in_production(router: ServiceProcess) -> None:
    query = "{ plans { code } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    response = post(router, query, extensions=extensions)
    assert codes(response) == ["PERSISTED_QUERY_NOT_SUPPORTED"]


def test_the_safelist_runs_only_trusted_documents(subgraphs: Subgraphs, tmp_path: Path) -> None:
    operations = tmp_path / "ops.graphql"
    operations.write_text("query Plans { plans { code } }")
    manifest = tmp_path / "manifest.json"
    subprocess.run([sys.executable, "-m", "switchboard", "persisted-queries", str(operations),
                    "-o", str(manifest)], cwd=ROOT, check=True, timeout=60)  # fmt: skip
    router = start_router(
        tmp_path,
        subgraphs.urls(),
        persisted_queries={"manifest": str(manifest), "safelist": "enforce"},
    )
    try:
        listed = post(router, "query Plans {\n  plans {\n    code\n  }\n}")
        assert "errors" not in listed.json(), listed.json()
        assert codes(post(router, "{ plans { code } }")) == ["PERSISTED_QUERY_NOT_IN_LIST"]
        assert codes(post(router, "{ customers { nodes { email } } }")) == [
            "PERSISTED_QUERY_NOT_IN_LIST"
        ]
    finally:
        router.stop()


def test_rate_limits_are_shared_by_two_routers_through_redis(
    subgraphs: Subgraphs, tmp_path: Path
) -> None:
    limit = {
        "enabled": True, "requests_per_second": 0.2, "burst": 4, "key": "header:x-client",
        "redis_url": "redis://127.0.0.1:6379/0", "redis_prefix": f"test:{uuid.uuid4().hex}:",
    }  # fmt: skip
    routers = [start_router(tmp_path, subgraphs.urls(), rate_limit=limit) for _ in range(2)]
    try:
        headers = {"x-client": "mallory"}
        query = {"query": "{ plans { code } }"}
        responses = []
        for n in range(8):
            router = routers[n % 2]
            url = f"{router.url}/graphql"
            responses.append(router.client.post(url, json=query, headers=headers))
        statuses = [r.status_code for r in responses]
        assert statuses[:4] == [200] * 4  # the burst, across both routers
        assert statuses[4:] == [429] * 4
        refused = responses[-1]
        assert codes(refused) == ["RATE_LIMITED"]
        assert int(refused.headers["retry-after"]) >= 1
        alice = {"x-client": "alice"}
        other = routers[0].client.post(f"{routers[0].url}/graphql", json=query, headers=alice)
        assert other.status_code == 200  # one client's bucket is not another's
    finally:
        for router in routers:
            router.stop()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{" * 100_000, 400, "BAD_REQUEST"),
        (b'{"query": "{ plans { code } }", "variables": ' + b"[" * 5000 + b"]" * 5000 + b"}",
         400, "BAD_REQUEST"),
        (b'{"query": "query($f: CustomerFilter) { customers(filter: $f) { nodes { id } } }", '
         b'"variables": {"f": {"emailContains": "x", "junk": [' + b",".join([b"1"] * 20_000)
         + b"]}}}", 200, "MAX_VARIABLES_LIMIT"),
        (b"x" * 3_000_000, 413, "PAYLOAD_TOO_LARGE"),
        (b'{"query": "{ plans { code } }", "operationName": {"a": 1}}', 400, "BAD_REQUEST"),
        (b'{"query": "\\u0000"}', 200, "GRAPHQL_PARSE_FAILED"),
    ],
    ids=["deep JSON", "deep variables", "20k variable values", "3 MB body", "object name",
         "NUL query"],
)  # fmt: skip
def test_malformed_bodies_get_a_code_not_a_crash(
    router: ServiceProcess, body: bytes, status: int, code: str
) -> None:
    with HealthProbe(router.url) as probe:
        response = router.client.post(
            f"{router.url}/graphql", content=body, headers={"content-type": "application/json"}
        )
    assert probe.failures == []
    assert response.status_code == status
    assert codes(response) == [code]


def test_concurrent_attacks_leave_the_router_serving(router: ServiceProcess) -> None:
    queries = [
        "{ ...F0 } " + doubling(30, 2, "Query", "__typename"),
        "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }",
        "{ plans { " + "code " * 4_000 + "} }",
    ] * 4
    errors: list[str] = []

    def fire(query: str) -> None:
        try:
            assert post(router, query).status_code < 500
        except (AssertionError, httpx.HTTPError) as exc:
            errors.append(repr(exc))

    with HealthProbe(router.url) as probe:
        threads = [threading.Thread(target=fire, args=(q,)) for q in queries]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print(probe.report())
    assert errors == []
    assert probe.failures == []
    assert "errors" not in post(router, "{ plans { code } }").json()
    assert rss_mb(router) < RSS_BOUND_MB
