"""Automatic persisted queries: register with the document, then send the hash alone."""

from __future__ import annotations

import hashlib

import pytest

from router.gateway import Gateway
from router.operation.context import GraphQLRequest
from router.operation.persisted import PersistedQueries
from router.supergraph import load_supergraph
from tests.router.kit import SUPERGRAPH, StaticFetcher, ask

QUERY = "{ plans { code } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(digest: str = HASH, version: object = 1) -> dict[str, object]:
    return {"persistedQuery": {"version": version, "sha256Hash": digest}}


@pytest.fixture
def gateway() -> Gateway:
    return Gateway(load_supergraph(SUPERGRAPH.read_text()), StaticFetcher())


async def test_hash_alone_is_unknown_until_registered(gateway: Gateway) -> None:
    missing = await ask(gateway, extensions=persisted())
    assert missing.status == 200  # a request error, under application/json
    assert missing.body == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    registered = await ask(gateway, QUERY, extensions=persisted())
    assert registered.body == {"data": {"plans": [{"code": "starter"}]}}
    again = await ask(gateway, extensions=persisted())
    assert again.body == registered.body
    via_get = await ask(gateway, extensions=persisted(), get=True)
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
    outcome = await ask(gateway, QUERY, extensions=extensions)
    assert outcome.codes == [code]
    assert outcome.status == status
    assert "data" not in outcome.body


async def test_disabled_store_says_not_supported() -> None:
    gateway = Gateway(
        load_supergraph(SUPERGRAPH.read_text()),
        StaticFetcher(),
        persisted_queries=PersistedQueries(enabled=False),
    )
    outcome = await ask(gateway, extensions=persisted())
    assert outcome.codes == ["PERSISTED_QUERY_NOT_SUPPORTED"]
    plain = await ask(gateway, QUERY)
    assert plain.body == {"data": {"plans": [{"code": "starter"}]}}


def test_store_is_bounded() -> None:
    store = PersistedQueries(capacity=2)
    for n in range(5):
        query = f"{{ plan(id: {n}) {{ id }} }}"
        digest = hashlib.sha256(query.encode()).hexdigest()
        store.resolve(GraphQLRequest(query=query, extensions=persisted(digest)))
    assert len(store) == 2


async def test_peek_names_a_held_document_without_counting_or_registering() -> None:
    store = PersistedQueries()
    by_hash = GraphQLRequest(None, {}, None, persisted())
    assert store.peek(GraphQLRequest(QUERY, {}, None, persisted())) == QUERY
    assert store.peek(by_hash) is None  # the text alone registers nothing
    assert store.peek(GraphQLRequest(None, {}, None, persisted(version=2))) is None
    store.resolve(GraphQLRequest(QUERY, {}, None, persisted()))
    hits, misses = store.cache.hits, store.cache.misses
    assert store.peek(by_hash) == QUERY
    assert (store.cache.hits, store.cache.misses) == (hits, misses)
