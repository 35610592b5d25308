"""Subgraphs trust only the router (and their peers), and enforce ownership themselves (#14).

Real subgraph processes: called directly without a valid token they answer 401
``UNAUTHENTICATED`` (operations, ``_service`` and ``_entities`` alike); with a customer's
identity they show only that customer's rows, ``_entities`` included; mutations on someone
else's record are ``FORBIDDEN``; staff scopes are checked on mutations.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.common.demo import world
from tests.conftest import SubgraphPool
from tests.support.identity import HEADER, customer_headers, identity_headers, keys, router_token

ALICE = world().customers[0].id
BOB = world().customers[1].id
CUSTOMER = "query($id: ID!) { customer(id: $id) { id email paymentMethods { id } } }"


def post(
    subgraphs: SubgraphPool, name: str, query: str, headers: dict[str, str], **variables: Any
) -> httpx.Response:
    """POST with exactly ``headers`` (not the process client's default identity)."""
    url = f"{subgraphs[name].url}/graphql"
    with httpx.Client(timeout=30) as client:
        return client.post(url, json={"query": query, "variables": variables}, headers=headers)


def refused(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    reason: str = error["extensions"]["reason"]
    return reason


def _other_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _service_token(caller: str, audience: str, scope: str = "service") -> str:
    key = serialization.load_pem_private_key(keys().private(caller).encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    now = int(time.time())
    claims = {
        "iss": f"switchboard-service:{caller}",
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "scope": scope,
    }
    return jwt.encode(claims, key, algorithm="EdDSA")


BAD_TOKENS = {
    "missing": lambda: None,
    "garbage": lambda: "garbage",
    "forged": lambda: router_token("customers", key=_other_key()),
    "expired": lambda: router_token("customers", seconds=-60),
    "wrong_audience": lambda: router_token("orders"),
    "wrong_issuer": lambda: router_token("customers", issuer="someone-else"),
    "alg_none": lambda: jwt.encode(
        {"iss": "switchboard-router", "aud": "customers", "exp": int(time.time()) + 60},
        None,
        algorithm="none",
    ),
    "key_confusion": lambda: jwt.encode(
        {"iss": "switchboard-router", "aud": "customers", "exp": int(time.time()) + 60},
        "secret-of-at-least-thirty-two-bytes-long!",
        algorithm="HS256",
    ),
    "service_without_scope": lambda: _service_token("orders", "customers", scope="admin"),
    "service_wrong_audience": lambda: _service_token("orders", "invoices"),
}
DOCUMENTS = {
    "operation": "{ customers { totalCount } }",
    "service": "{ _service { sdl } }",
    "entities": f'{{ _entities(representations: [{{__typename: "Customer", id: "{ALICE}"}}]) '
    "{ ... on Customer { email } } }",
}


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_a_subgraph_refuses_requests_without_a_valid_token(
    subgraphs: SubgraphPool, bad: str, document: str
) -> None:
    token = BAD_TOKENS[bad]()
    headers = {HEADER: token} if token is not None else {}
    response = post(subgraphs, "customers", DOCUMENTS[document], headers)
    reason = refused(response)
    assert "email" not in response.text
    if bad == "expired":
        assert reason == "expired"
    if bad == "wrong_audience":
        assert reason == "audience"


def test_a_peer_service_token_is_accepted(subgraphs: SubgraphPool) -> None:
    headers = {HEADER: _service_token("invoices", "customers")}
    response = post(subgraphs, "customers", CUSTOMER, headers, id=ALICE)
    assert response.status_code == 200
    assert response.json()["data"]["customer"]["id"] == ALICE


def test_a_customer_sees_only_its_own_customer_record(subgraphs: SubgraphPool) -> None:
    alice = customer_headers("customers", ALICE)
    own = post(subgraphs, "customers", CUSTOMER, alice, id=ALICE).json()
    assert own["data"]["customer"]["id"] == ALICE
    other = post(subgraphs, "customers", CUSTOMER, alice, id=BOB).json()
    assert other == {"data": {"customer": None}}
    listed = post(subgraphs, "customers", "{ customers { nodes { id } } }", alice).json()
    assert listed["data"]["customers"]["nodes"] == [{"id": ALICE}]


def test_entities_answer_only_for_the_owner(subgraphs: SubgraphPool) -> None:
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id email } } }"
    )
    alice = customer_headers("customers", ALICE)
    reps = [{"__typename": "Customer", "id": ALICE}, {"__typename": "Customer", "id": BOB}]
    body = post(subgraphs, "customers", query, alice, r=reps).json()
    assert body["data"]["_entities"][0]["id"] == ALICE
    assert body["data"]["_entities"][1] is None
    anonymous = identity_headers("customers", scopes=[])
    body = post(subgraphs, "customers", query, anonymous, r=reps).json()
    assert body["data"]["_entities"] == [None, None]


@pytest.mark.parametrize(
    ("name", "query", "field"),
    [
        ("orders", "{ orders(first: 100) { nodes { customer { id } } } }", "orders"),
        ("invoices", "{ invoices(first: 100) { nodes { customer { id } } } }", "invoices"),
        (
            "subscriptions",
            "{ subscriptions(first: 100) { nodes { customer { id } } } }",
            "subscriptions",
        ),
    ],
)
def test_lists_show_a_customer_only_its_own_rows(
    subgraphs: SubgraphPool, name: str, query: str, field: str
) -> None:
    staff = post(subgraphs, name, query, identity_headers(name, scopes=["support:read"])).json()
    owners = {n["customer"]["id"] for n in staff["data"][field]["nodes"]}
    assert len(owners) > 1  # the seeded world has several customers' rows
    owner = sorted(owners)[0]
    own = post(subgraphs, name, query, customer_headers(name, owner)).json()
    mine = {n["customer"]["id"] for n in own["data"][field]["nodes"]}
    assert mine == {owner}
    anonymous = post(subgraphs, name, query, identity_headers(name, scopes=[])).json()
    assert anonymous["data"][field]["nodes"] == []


def test_a_filter_on_another_customer_shows_nothing(subgraphs: SubgraphPool) -> None:
    query = "query($c: ID) { orders(filter: {customerId: $c}) { totalCount } }"
    body = post(subgraphs, "orders", query, customer_headers("orders", ALICE), c=BOB).json()
    assert body["data"]["orders"]["totalCount"] == 0


def test_a_mutation_on_someone_elses_record_is_forbidden(subgraphs: SubgraphPool) -> None:
    mutation = 'mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Mallory"}) { id } }'
    body = post(subgraphs, "customers", mutation, customer_headers("customers", ALICE), id=BOB)
    assert [e["extensions"]["code"] for e in body.json()["errors"]] == ["FORBIDDEN"]
    staff = identity_headers("customers", scopes=["support:read"])
    body = post(subgraphs, "customers", mutation, staff, id=BOB)
    assert [e["extensions"]["code"] for e in body.json()["errors"]] == ["FORBIDDEN"]
    own = 'mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Ada L."}) { name } }'
    body = post(subgraphs, "customers", own, customer_headers("customers", ALICE), id=ALICE)
    assert body.json()["data"]["updateCustomer"]["name"] == "Ada L."


def test_a_customer_may_not_change_its_own_status(subgraphs: SubgraphPool) -> None:
    mutation = "mutation($id: ID!) { updateCustomer(id: $id, input: {status: ACTIVE}) { id } }"
    body = post(subgraphs, "customers", mutation, customer_headers("customers", ALICE), id=ALICE)
    assert [e["extensions"]["code"] for e in body.json()["errors"]] == ["FORBIDDEN"]


def test_staff_mutations_need_their_scope(subgraphs: SubgraphPool) -> None:
    cycle = 'mutation { runBillingCycle(asOf: "2020-01-01T00:00:00Z") { paid } }'
    customer = customer_headers("subscriptions", ALICE)
    body = post(subgraphs, "subscriptions", cycle, customer).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    billing = identity_headers("subscriptions", scopes=["billing:write"])
    body = post(subgraphs, "subscriptions", cycle, billing).json()
    assert "errors" not in body or all(
        e["extensions"]["code"] != "FORBIDDEN" for e in body["errors"]
    ), json.dumps(body)
    dead = "{ ordersDeadLetters { key } }"
    support = identity_headers("orders", scopes=["support:read"])
    body = post(subgraphs, "orders", dead, support).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    admin = identity_headers("orders", scopes=["admin"])
    assert post(subgraphs, "orders", dead, admin).json() == {"data": {"ordersDeadLetters": []}}


def _subscribe(
    subgraphs: SubgraphPool, name: str, headers: dict[str, str], query: str
) -> dict[str, Any]:
    """One graphql-transport-ws subscription straight to a subgraph; its first message."""
    from websockets.sync.client import connect

    url = subgraphs[name].url.replace("http://", "ws://") + "/graphql"
    with connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers=headers, open_timeout=30
    ) as socket:  # type: ignore[list-item]
        socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(socket.recv(timeout=30))["type"] == "connection_ack"
        socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message: dict[str, Any] = json.loads(socket.recv(timeout=30))
        return message


def test_a_subscription_needs_a_token_and_watches_only_its_own_customer(
    subgraphs: SubgraphPool,
) -> None:
    from websockets.exceptions import InvalidStatus

    query = f'subscription {{ invoiceEvents(customerId: "{BOB}") {{ id }} }}'
    with pytest.raises(InvalidStatus) as refused_handshake:  # no token: no WebSocket at all
        _subscribe(subgraphs, "invoices", {}, query)
    assert refused_handshake.value.response.status_code == 403
    forged = {HEADER: router_token("invoices", key=_other_key())}
    with pytest.raises(InvalidStatus):
        _subscribe(subgraphs, "invoices", forged, query)
    answer = _subscribe(subgraphs, "invoices", customer_headers("invoices", ALICE), query)
    assert answer["type"] in ("next", "error"), answer  # strawberry: a `next` with errors
    errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"], answer
