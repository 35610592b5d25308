"""Each input that once reached an internal error now gets a coded client error.

Found by trying the subgraphs as an attacker would (issue 13): a 60,000-character
``emailContains`` (SQLite: "LIKE or GLOB pattern too complex"), ``_entities`` with ``[{}]``
(KeyError ``__typename``) or an object as ``id`` ("unhashable type"), a nested connection
with a bad cursor (HTTP 500 "Cannot operate on a closed database" when the request's
session was closed under a resolver still using it), malformed bodies (HTTP 500 for
``null``). All on real processes, SQLite and PostgreSQL.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import SubgraphPool
from tests.security.hostile import check_answer, codes, post

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
NESTED_BAD_CURSOR = """
{ invoices(first: 50) { edges { node { id customer {
    outstandingBalance { amount }
    invoices(after: "tok_visa") { edges { node { id } } }
} } } } }"""


def test_a_huge_email_filter_is_bad_user_input(subgraphs: SubgraphPool) -> None:
    customers = subgraphs["customers"]
    query = "query($e: String) { customers(filter: {emailContains: $e}) { nodes { id } } }"
    body = post(customers.client, customers.url, query, {"e": "a" * 60_000})
    assert codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "emailContains"
    wildcards = post(customers.client, customers.url, query, {"e": "%"})
    assert wildcards["data"]["customers"]["nodes"] == []  # a literal %, not "anything"


@pytest.mark.parametrize(
    "representation",
    [
        {},
        "x",
        None,
        [],
        {"__typename": "Nope", "id": "1"},
        {"__typename": "Query", "id": "1"},
        {"__typename": "Customer"},
        {"__typename": "Customer", "id": {"a": 1}},
        {"__typename": "Customer", "id": ["a"]},
        {"__typename": "Customer", "id": "x" * 1000},
        {"__typename": "Customer", "id": "cus_1", "nope": 1},
    ],
)
@pytest.mark.parametrize("service", ["customers", "orders", "invoices", "subscriptions"])
def test_a_bad_representation_is_bad_user_input_at_its_index(
    subgraphs: SubgraphPool, service: str, representation: object
) -> None:
    served = subgraphs[service]
    good = {"__typename": "Customer", "id": "cus_01KE7AR4C0EWE438S1GN4J"}
    body = post(served.client, served.url, ENTITIES, {"r": [good, representation]})
    if representation is None:  # [_Any!]! refuses a null item before any resolver runs
        assert codes(body) == ["BAD_USER_INPUT"]
        return
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["path"] == ["_entities", 1]
    assert body["data"]["_entities"][1] is None
    assert body["data"]["_entities"][0] is not None or service == "customers"


def test_an_integer_id_is_taken_as_its_string(subgraphs: SubgraphPool) -> None:
    served = subgraphs["orders"]
    body = post(served.client, served.url, ENTITIES, {"r": [{"__typename": "Customer", "id": 7}]})
    assert body["data"]["_entities"] == [{"__typename": "Customer"}]


def test_requires_fields_must_be_objects_of_scalars(subgraphs: SubgraphPool) -> None:
    served = subgraphs["invoices"]
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) "
        "{ ... on Customer { taxRate { basisPoints } } } }"
    )
    for address in ({"country": {"x": 1}}, {"country": 5}, "DE"):
        rep = {"__typename": "Customer", "id": "cus_1", "address": address}
        assert codes(post(served.client, served.url, query, {"r": [rep]})) == ["BAD_USER_INPUT"]
    rep = {"__typename": "Customer", "id": "cus_1", "address": {"country": "DE"}}
    body = post(served.client, served.url, query, {"r": [rep]})
    assert body["data"]["_entities"] == [{"taxRate": {"basisPoints": 1900}}]


def test_a_bad_cursor_under_a_nested_connection_never_500s(subgraphs: SubgraphPool) -> None:
    served = subgraphs["invoices"]
    for _ in range(30):
        body = post(served.client, served.url, NESTED_BAD_CURSOR)
        assert set(codes(body)) == {"BAD_USER_INPUT"}, body
    assert "Exception in ASGI application" not in served.log()
    assert "closed database" not in served.log()


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"null", "application/json", 400, "BAD_REQUEST"),
        (b'"x"', "application/json", 400, "BAD_REQUEST"),
        (b"[]", "application/json", 400, "BAD_REQUEST"),
        (b"{not json", "application/json", 400, "BAD_REQUEST"),
        (b"\xff\xfe", "application/json", 400, "BAD_REQUEST"),
        (b'{"query": 1}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json", 400, "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "operationName": 1}', "application/json", 400,
         "BAD_REQUEST"),
        (b'{"query": "{ __typename }", "operationName": "Nope"}', "application/json", 400,
         "BAD_REQUEST"),
        (b'{"query": "{ __typename }"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b'{"query": "{ __typename }"}', "", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)  # fmt: skip
def test_malformed_bodies_are_coded_4xx(
    subgraphs: SubgraphPool, content: bytes, content_type: str, status: int, code: str
) -> None:
    served = subgraphs["orders"]
    headers = {"content-type": content_type} if content_type else {}
    response = served.client.post(f"{served.url}/graphql", content=content, headers=headers)
    assert response.status_code == status
    assert codes(check_answer(response)) == [code]


def test_get_and_oversized_bodies_are_refused_with_a_code(subgraphs: SubgraphPool) -> None:
    served = subgraphs["customers"]
    got = served.client.get(f"{served.url}/graphql", params={"query": "{ __typename }"})
    assert (got.status_code, codes(check_answer(got))) == (405, ["METHOD_NOT_ALLOWED"])
    huge = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * (9 << 20) + b'"}}'
    response = httpx.post(
        f"{served.url}/graphql",
        content=huge,
        headers={"content-type": "application/json", **served.headers},
    )
    assert (response.status_code, codes(check_answer(response))) == (413, ["PAYLOAD_TOO_LARGE"])


@pytest.mark.parametrize(
    ("service", "query", "variables"),
    [
        ("customers", "query($id: ID!) { customer(id: $id) { id } }", {"id": "c" * 65}),
        ("customers", "query($c: String) { customers(after: $c) { nodes { id } } }",
         {"c": "v" * 10_000}),
        ("customers", "query($c: String) { customers(filter: {country: $c}) { nodes { id } } }",
         {"c": "DEU"}),
        ("customers", "mutation($i: CreateCustomerInput!) { createCustomer(input: $i, "
         "idempotencyKey: \"k\") { id } }",
         {"i": {"email": "a@b.co", "name": "A", "address": {"line1": "x", "city": "y",
                "postalCode": "1", "country": "DE", "line2": "l" * 201}}}),
        ("orders", "query($s: String) { products(filter: {search: $s}) { nodes { id } } }",
         {"s": "s" * 201}),
        ("orders", "mutation($l: [OrderLineInput!]!) { placeOrder(input: {customerId: "
         "\"cus_01KE7AR4C0EWE438S1GN4J\", lines: $l}, idempotencyKey: \"k\") { id } }",
         {"l": [{"productId": f"prd_{n}", "quantity": 1} for n in range(101)]}),
        ("invoices", "mutation($l: [InvoiceLineInput!]!) { issueInvoice(input: {customerId: "
         "\"cus_01KE7AR4C0EWE438S1GN4J\", currency: \"EUR\", lines: $l}, idempotencyKey: "
         "\"k\") { id } }",
         {"l": [{"description": "x", "unitAmount": 1}] * 101}),
        ("invoices", "mutation { payInvoice(invoiceId: \"" + "i" * 65 + "\", "
         "idempotencyKey: \"k\") { __typename } }", None),
        ("subscriptions", "query($id: ID!) { plan(id: $id) { id } }", {"id": "p" * 65}),
    ],
)  # fmt: skip
def test_unbounded_input_is_bad_user_input(
    subgraphs: SubgraphPool, service: str, query: str, variables: object
) -> None:
    served = subgraphs[service]
    assert codes(post(served.client, served.url, query, variables)) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("service", "query", "variables"),
    [
        ("customers", "query($id: ID!) { customer(id: $id) { id } }", {"id": "cus_\x00"}),
        ("customers", "mutation($i: CreateCustomerInput!) { createCustomer(input: $i, "
         "idempotencyKey: \"nul\") { id } }",
         {"i": {"email": "nul@b.co", "name": "A\x00B", "address": {"line1": "x", "city": "y",
                "postalCode": "1", "country": "DE"}}}),
        ("orders", "query($s: String) { products(filter: {search: $s}) { nodes { id } } }",
         {"s": "\x00"}),
        ("invoices", "query($id: ID!) { invoice(id: $id) { id } }", {"id": "\x00"}),
        ("subscriptions", "mutation($id: ID!) { cancelSubscription(id: $id, atPeriodEnd: true) "
         "{ id } }", {"id": "\x00"}),
    ],
)  # fmt: skip
def test_text_with_a_nul_character_is_bad_user_input(
    subgraphs: SubgraphPool, service: str, query: str, variables: object
) -> None:
    """PostgreSQL cannot store U+0000 and failed the statement (INTERNAL_SERVER_ERROR);
    every backend now refuses it as the client's error, whichever query carries it."""
    served = subgraphs[service]
    body = post(served.client, served.url, query, variables)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert "U+0000" in body["errors"][0]["message"]
