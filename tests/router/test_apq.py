"""Automatic persisted queries: register with the document, then send the hash alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from router.apq import PersistedQueries
from router.gateway import Gateway
from router.request import GraphQLRequest
from router.supergraph import load_supergraph
from tests.router.test_gateway_cache import StaticFetcher

SUPERGRAPH = Path(__file__).resolve().parents[2] / "schema" / "supergraph.graphql"
QUERY = "{ plans { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(digest: str = HASH, version: object = 1) -> dict[str, object]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(load_supergraph(SUPERGRAPH.read_text()), StaticFetcher())


async def test_hash_alone_is_unknown_until_registered(gateway: Gateway) -> None:
    hashed = GraphQLRequest(query=None, extensions=persisted())
    missing = await gateway.execute(hashed)
    assert missing.request_error
    assert missing.body == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    registered = await gateway.execute(GraphQLRequest(query=QUERY, extensions=persisted()))
    assert registered.body == {"data": {"plans": [{"code": "starter"}]}}
    again = await gateway.execute(hashed)
    assert again.body == registered.body
    via_get = await gateway.execute(
        GraphQLRequest(query=None, extensions=persisted(), via_get=True)
    )
    assert via_get.body == registered.body


@pytest.mark.parametrize(
    ("extensions", "code", "status"),
    [
        (persisted("0" * 64), "PERSISTED_QUERY_HASH_MISMATCH", 400),
        (persisted(version=2), "PERSISTED_QUERY_INVALID", 400),
        (persisted("short"), "PERSISTED_QUERY_INVALID", 400),
        ({"persistedQuery": "yes"}, "PERSISTED_QUERY_INVALID", 400),
    ],
)
async def test_bad_persisted_query_extensions(
    gateway: Gateway, extensions: dict[str, object], code: str, status: int
) -> None:
    outcome = await gateway.execute(GraphQLRequest(query=QUERY, extensions=extensions))
    assert outcome.body["errors"][0]["extensions"]["code"] == code
    assert outcome.http_status == status
    assert "data" not in outcome.body


async def test_disabled_store_says_not_supported() -> None:
    gateway = Gateway(
        load_supergraph(SUPERGRAPH.read_text()),
        StaticFetcher(),
        persisted_queries=PersistedQueries(enabled=False),
    )
    outcome = await gateway.execute(GraphQLRequest(query=None, extensions=persisted()))
    assert outcome.body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    plain = await gateway.execute(GraphQLRequest(query=QUERY))
    assert plain.body == {"data": {"plans": [{"code": "starter"}]}}


def test_store_is_bounded() -> None:
    store = PersistedQueries(capacity=2)
    for n in range(5):
        query = f"{{ plan(id: {n}) {{ id }} }}"
        digest = hashlib.sha256(query.encode()).hexdigest()
        store.resolve(GraphQLRequest(query=query, extensions=persisted(digest)))
    assert len(store) == 2
