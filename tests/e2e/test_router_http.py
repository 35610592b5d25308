"""The router speaks GraphQL over HTTP as the spec says, and never answers 500 for bad input."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.support.identity import bearer

JSON = "application/json"
GQL_JSON = "application/graphql-response+json"


@pytest.fixture(scope="module")
def url(stack: Stack) -> str:
    return f"{stack.router.url}/graphql"


def test_health(stack: Stack) -> None:
    assert httpx.get(f"{stack.router.url}/health").json() == {"status": "ok"}


PREFLIGHT = {"apollo-require-preflight": "true"}  # what CSRF prevention asks of a GET


def test_get_query(url: str) -> None:
    response = httpx.get(url, params={"query": "{ plans { code } }"}, headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert len(response.json()["data"]["plans"]) > 0


def test_get_with_variables_and_operation_name(url: str) -> None:
    query = "query A($n: Int) { products(first: $n) { nodes { id } } } query B { plans { id } }"
    params = {"query": query, "variables": '{"n": 2}', "operationName": "A"}
    response = httpx.get(url, params=params, headers={"x-apollo-operation-name": "A"})
    assert len(response.json()["data"]["products"]["nodes"]) == 2


def test_mutation_over_get_is_405(url: str) -> None:
    params = {"query": 'mutation { cancelOrder(id: "x") { id } }'}
    response = httpx.get(url, params=params, headers=PREFLIGHT)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("GET", {}),
        ("GET", {"apollo-require-preflight": ""}),
        ("POST", {"content-type": "text/plain"}),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}),
        ("POST", {"content-type": "multipart/form-data; boundary=x"}),
    ],
)
def test_simple_requests_without_a_preflight_header_are_refused_as_csrf(
    url: str, method: str, headers: dict[str, str]
) -> None:
    """What a page on another site can make a browser send without asking CORS first."""
    body = '{"query": "{ plans { code } }"}'
    response = httpx.request(
        method, url, params={"query": "{ plans { code } }"}, content=body, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_ERROR"
    assert "x-apollo-operation-name, apollo-require-preflight" in response.text


@pytest.mark.parametrize(
    ("content", "status"),
    [
        (b"{not json", 400),
        (b"[]", 400),
        (b'{"variables": {}}', 400),
        (b'{"query": 1}', 400),
        (b'{"query": "{ plans { id } }", "variables": []}', 400),
        (b'{"query": "{ plans { id } }", "operationName": 5}', 400),
    ],
)
def test_malformed_requests_are_400(url: str, content: bytes, status: int) -> None:
    response = httpx.post(url, content=content, headers={"content-type": JSON})
    assert response.status_code == status
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "data" not in body


def test_unsupported_content_type_is_415(url: str) -> None:
    headers = {"content-type": "application/graphql"}  # not simple: no CSRF concern, but not JSON
    response = httpx.post(url, content=b"{ plans { id } }", headers=headers)
    assert response.status_code == 415


def test_unacceptable_accept_is_406(url: str) -> None:
    response = httpx.post(url, json={"query": "{ plans { id } }"}, headers={"accept": "text/csv"})
    assert response.status_code == 406


def test_oversize_body_is_413(url: str) -> None:
    response = httpx.post(url, json={"query": "{ plans { id } }", "pad": "x" * 3_000_000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ plans { id }", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query A { plans { id } } query B { plans { id } }", "GRAPHQL_UNKNOWN_OPERATION_NAME"),
    ],
)
def test_request_errors_status_depends_on_media_type(url: str, query: str, code: str) -> None:
    legacy = httpx.post(url, json={"query": query}, headers={"accept": JSON})
    modern = httpx.post(url, json={"query": query}, headers={"accept": GQL_JSON})
    assert legacy.status_code == 200
    assert modern.status_code == 400
    assert modern.headers["content-type"].startswith(GQL_JSON)
    for response in (legacy, modern):
        assert response.json()["errors"][0]["extensions"]["code"] == code
        assert "data" not in response.json()
    if code != "GRAPHQL_UNKNOWN_OPERATION_NAME":  # syntax and validation errors point at the text
        assert modern.json()["errors"][0]["locations"][0]["line"] == 1


def test_bad_variable_value_is_bad_user_input(url: str) -> None:
    body = httpx.post(
        url,
        json={
            "query": "query($n: Int!) { products(first: $n) { nodes { id } } }",
            "variables": {"n": "ten"},
        },
        headers={"accept": GQL_JSON},
    )
    assert body.status_code == 400
    assert body.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_subgraph_error_is_passed_through_with_service_name(url: str) -> None:
    body = httpx.post(url, json={"query": "{ products(first: 1000) { nodes { id } } }"}).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"  # the subgraph's own code
    assert "downstreamCode" not in error["extensions"]
    assert error["extensions"]["serviceName"] == "orders"
    assert error["path"] == ["products"]
    assert body["data"] is None  # products is non-null: the null propagates to the root


def test_query_plan_is_exposed_on_request_in_dev_mode(url: str) -> None:
    query = "{ customers(first: 1) { nodes { name orders(first: 1) { nodes { id } } } } }"
    admin = bearer()  # customers is for staff
    plain = httpx.post(url, json={"query": query}, headers=admin).json()
    assert "extensions" not in plain
    exposed = httpx.post(
        url, json={"query": query}, headers={"Switchboard-Expose-Query-Plan": "true", **admin}
    ).json()
    plan = exposed["extensions"]["queryPlan"]
    assert 'Fetch(service: "customers")' in plan["text"]
    assert 'Fetch(service: "orders")' in plan["text"]
    assert plan["json"]["kind"] == "QueryPlan"
    assert exposed["data"] == plain["data"]


def test_introspection_mixed_with_fields(url: str) -> None:
    body = httpx.post(
        url,
        json={
            "query": '{ __typename plans { code } __type(name: "Customer") { name '
            "fields { name } } __schema { queryType { name } } }"
        },
    ).json()
    assert "errors" not in body
    data = body["data"]
    assert data["__typename"] == "Query"
    assert data["__schema"]["queryType"]["name"] == "Query"
    fields = {f["name"] for f in data["__type"]["fields"]}
    assert {"orders", "invoices", "subscriptions", "taxRate"} <= fields
    assert data["plans"]


def test_api_schema_hides_join_machinery_and_inaccessible_fields(url: str) -> None:
    data = httpx.post(
        url,
        json={
            "query": "{ __schema { types { name } directives { name } } "
            '__type(name: "PaymentMethod") { fields { name } } }'
        },
    ).json()["data"]
    names = {t["name"] for t in data["__schema"]["types"]}
    assert not any(n.startswith(("join__", "link__")) for n in names)
    assert "_Entity" not in names
    assert "_Service" not in names
    assert "token" not in {f["name"] for f in data["__type"]["fields"]}
    assert not any(d["name"].startswith("join__") for d in data["__schema"]["directives"])
