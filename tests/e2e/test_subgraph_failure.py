"""A subgraph that dies mid-test costs its fields, not the response."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from subgraphs.common.demo import world
from subgraphs.registry import SERVICES
from tests.e2e.conftest import Stack, start_router
from tests.support.databases import fresh_database
from tests.support.processes import start_subgraph


@pytest.fixture
def doomed_stack(tmp_path: Path) -> Iterator[Stack]:
    """A stack of its own, so killing a subgraph cannot disturb other tests."""
    with ExitStack() as exits:
        subgraphs = {}
        for name in SERVICES:
            url = exits.enter_context(fresh_database("sqlite", name, tmp_path))
            subgraphs[name] = start_subgraph(name, url, tmp_path)
            exits.callback(subgraphs[name].stop)
        router = start_router(tmp_path, {n: f"{p.url}/graphql" for n, p in subgraphs.items()})
        exits.callback(router.stop)
        yield Stack(router=router, subgraphs=subgraphs, tmp=tmp_path)


@pytest.mark.slow
def test_killed_subgraph_gives_partial_data_and_errors(doomed_stack: Stack) -> None:
    query = "{ orders(first: 3) { nodes { id status invoice { number } } } }"
    url = f"{doomed_stack.router.url}/graphql"
    before = httpx.post(url, headers=doomed_stack.router.headers, json={"query": query}).json()
    assert all(o["invoice"] for o in before["data"]["orders"]["nodes"])

    doomed_stack.subgraphs["invoices"].process.kill()
    doomed_stack.subgraphs["invoices"].process.wait()

    response = httpx.post(url, headers=doomed_stack.router.headers, json={"query": query})
    assert response.status_code == 200
    body = response.json()
    nodes = body["data"]["orders"]["nodes"]
    assert [o["id"] for o in nodes] == [o["id"] for o in before["data"]["orders"]["nodes"]]
    assert all(o["invoice"] is None for o in nodes)  # nullable: only the field is lost
    error = body["errors"][0]
    assert error["extensions"] == {"code": "SUBREQUEST_HTTP_ERROR", "serviceName": "invoices"}
    assert error["path"][:3] == ["orders", "nodes", 0]

    # A non-null field of the dead subgraph nulls its nearest nullable parent, and only it.
    customer_id = world().customers[0].id
    lost = httpx.post(
        url,
        headers=doomed_stack.router.headers,
        json={
            "query": "query($id: ID!) { plans { code } customer(id: $id) { name "
            "invoices(first: 1) { nodes { id } } } }",
            "variables": {"id": customer_id},
        },
    ).json()
    assert lost["data"]["plans"]
    assert lost["data"]["customer"] is None  # invoices is non-null, customer is nullable
    assert lost["errors"][0]["extensions"]["serviceName"] == "invoices"
    assert lost["errors"][0]["path"] == ["customer"]


@pytest.mark.slow
def test_root_fetch_of_dead_subgraph_nulls_only_its_fields(doomed_stack: Stack) -> None:
    url = f"{doomed_stack.router.url}/graphql"
    doomed_stack.subgraphs["subscriptions"].process.kill()
    doomed_stack.subgraphs["subscriptions"].process.wait()
    body = httpx.post(
        url,
        headers=doomed_stack.router.headers,
        json={"query": '{ plan(id: "pln_x") { id } product(id: "x") { id } }'},
    ).json()
    assert body["data"] == {"plan": None, "product": None}
    assert [e["extensions"]["serviceName"] for e in body["errors"]] == ["subscriptions"]
    assert body["errors"][0]["path"] == ["plan"]
