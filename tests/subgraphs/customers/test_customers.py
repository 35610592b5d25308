"""The customers subgraph over HTTP: queries, mutations, idempotency and bad input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.common.demo import world
from tests.conftest import SubgraphPool
from tests.support.processes import ServiceProcess

CREATE = """
mutation($input: CreateCustomerInput!, $key: String!) {
  createCustomer(input: $input, idempotencyKey: $key) {
    id email name status address { country city } paymentMethods { id }
  }
}"""

ADD_CARD = """
mutation($customerId: ID!, $input: PaymentMethodInput!, $makeDefault: Boolean! = false) {
  addPaymentMethod(customerId: $customerId, input: $input, makeDefault: $makeDefault) {
    id brand last4 isDefault customer { id }
  }
}"""


def new_customer_input(**overrides: Any) -> dict[str, Any]:
    unique = uuid.uuid4().hex[:10]
    value: dict[str, Any] = {
        "email": f"test-{unique}@example.com",
        "name": "Test Customer",
        "address": {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "de"},
    }
    value.update(overrides)
    return value


def card(**overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "token": f"tok_{uuid.uuid4().hex[:12]}",
        "brand": "VISA",
        "last4": "4242",
        "expMonth": 12,
        "expYear": 2035,
    }
    value.update(overrides)
    return value


@pytest.fixture(scope="module")
def customers(subgraphs: SubgraphPool) -> ServiceProcess:
    return subgraphs["customers"]


def create(customers: ServiceProcess, **overrides: Any) -> dict[str, Any]:
    variables = {"input": new_customer_input(**overrides), "key": uuid.uuid4().hex}
    created: dict[str, Any] = customers.data(CREATE, variables)["createCustomer"]
    return created


def test_demo_customer_is_served_with_payment_methods(customers: ServiceProcess) -> None:
    demo = world().customers[1]
    data = customers.data(
        "query($id: ID!) { customer(id: $id) { id email address { country } "
        "paymentMethods { last4 isDefault } defaultPaymentMethod { last4 } } }",
        {"id": demo.id},
    )
    got = data["customer"]
    assert got["email"] == demo.email
    assert got["address"]["country"] == demo.country
    assert [pm["last4"] for pm in got["paymentMethods"]] == [
        pm.last4 for pm in demo.payment_methods
    ]
    assert got["defaultPaymentMethod"]["last4"] == demo.payment_methods[0].last4


def test_unknown_customer_is_null(customers: ServiceProcess) -> None:
    assert customers.data('{ customer(id: "cus_nope") { id } }') == {"customer": None}


def test_pagination_walks_every_customer_once(customers: ServiceProcess) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = customers.data(
            "query($after: String) { customers(first: 7, after: $after) { "
            "edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["customers"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen))
    assert {c.id for c in world().customers} <= set(seen)
    assert seen == sorted(seen)


def test_filters_by_status_and_country(customers: ServiceProcess) -> None:
    nodes = customers.data(
        '{ customers(first: 100, filter: {status: SUSPENDED, country: "gb"}) '
        "{ nodes { status address { country } } } }"
    )["customers"]["nodes"]
    expected = [c for c in world().customers if c.status == "SUSPENDED" and c.country == "GB"]
    assert len(nodes) >= len(expected)
    assert all(n["status"] == "SUSPENDED" and n["address"]["country"] == "GB" for n in nodes)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [("first: 101", "BAD_USER_INPUT"), ("first: -1", "BAD_USER_INPUT"),
     ('after: "not-a-cursor"', "BAD_USER_INPUT")],
)  # fmt: skip
def test_bad_page_arguments(customers: ServiceProcess, arguments: str, code: str) -> None:
    assert customers.error_codes(f"{{ customers({arguments}) {{ nodes {{ id }} }} }}") == [code]


def test_create_customer_is_idempotent(customers: ServiceProcess) -> None:
    variables = {"input": new_customer_input(), "key": uuid.uuid4().hex}
    first = customers.data(CREATE, variables)["createCustomer"]
    again = customers.data(CREATE, variables)["createCustomer"]
    assert first == again
    assert first["address"]["country"] == "DE"
    assert first["status"] == "ACTIVE"


def test_reused_key_with_other_input_is_refused_and_creates_nothing(
    customers: ServiceProcess,
) -> None:
    key = uuid.uuid4().hex
    customers.data(CREATE, {"input": new_customer_input(), "key": key})
    other = new_customer_input()
    codes = customers.error_codes(CREATE, {"input": other, "key": key})
    assert codes == ["IDEMPOTENCY_KEY_REUSED"]
    found = customers.data(
        "query($q: String) { customers(first: 5, filter: {emailContains: $q}) { nodes { id } } }",
        {"q": other["email"]},
    )
    assert found["customers"]["nodes"] == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "not-an-email"}, "BAD_USER_INPUT"),
        ({"name": "   "}, "BAD_USER_INPUT"),
        ({"address": {"line1": "x", "city": "y", "postalCode": "1", "country": "Germany"}},
         "BAD_USER_INPUT"),
    ],
)  # fmt: skip
def test_invalid_customer_input(
    customers: ServiceProcess, overrides: dict[str, Any], code: str
) -> None:
    variables = {"input": new_customer_input(**overrides), "key": uuid.uuid4().hex}
    assert customers.error_codes(CREATE, variables) == [code]


def test_duplicate_email_conflicts(customers: ServiceProcess) -> None:
    existing = create(customers)
    variables = {"input": new_customer_input(email=existing["email"]), "key": uuid.uuid4().hex}
    assert customers.error_codes(CREATE, variables) == ["CONFLICT"]


def test_blank_idempotency_key_is_bad_input(customers: ServiceProcess) -> None:
    assert customers.error_codes(CREATE, {"input": new_customer_input(), "key": " "}) == [
        "BAD_USER_INPUT"
    ]


def test_update_customer(customers: ServiceProcess) -> None:
    customer = create(customers)
    updated = customers.data(
        'mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Renamed", status: SUSPENDED})'
        " { name status email } }",
        {"id": customer["id"]},
    )["updateCustomer"]
    assert updated == {"name": "Renamed", "status": "SUSPENDED", "email": customer["email"]}
    codes = customers.error_codes(
        'mutation { updateCustomer(id: "cus_missing", input: {name: "x"}) { id } }'
    )
    assert codes == ["NOT_FOUND"]


def test_payment_method_lifecycle(customers: ServiceProcess) -> None:
    customer = create(customers)
    first = customers.data(ADD_CARD, {"customerId": customer["id"], "input": card()})
    second = customers.data(ADD_CARD, {"customerId": customer["id"], "input": card(last4="1111")})
    assert first["addPaymentMethod"]["isDefault"] is True  # the first card becomes default
    assert second["addPaymentMethod"]["isDefault"] is False
    second_id = second["addPaymentMethod"]["id"]

    made_default = customers.data(
        "mutation($id: ID!) { setDefaultPaymentMethod(id: $id) { id isDefault "
        "customer { paymentMethods { id isDefault } } } }",
        {"id": second_id},
    )["setDefaultPaymentMethod"]
    defaults = {pm["id"]: pm["isDefault"] for pm in made_default["customer"]["paymentMethods"]}
    assert defaults == {first["addPaymentMethod"]["id"]: False, second_id: True}

    after_remove = customers.data(
        "mutation($id: ID!) { removePaymentMethod(id: $id) { paymentMethods { id isDefault } } }",
        {"id": second_id},
    )["removePaymentMethod"]
    assert after_remove["paymentMethods"] == [
        {"id": first["addPaymentMethod"]["id"], "isDefault": True}
    ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"token": "4242424242424242"}, "token"),
        ({"token": "tok_4111111111111111"}, "token"),
        ({"last4": "42"}, "last4"),
        ({"expMonth": 13}, "expMonth"),
        ({"expYear": 2001}, "expYear"),
    ],
)
def test_card_numbers_and_bad_cards_are_refused(
    customers: ServiceProcess, overrides: dict[str, Any], field: str
) -> None:
    customer = create(customers)
    body = customers.execute(ADD_CARD, {"customerId": customer["id"], "input": card(**overrides)})
    assert [e["extensions"] for e in body["errors"]] == [{"code": "BAD_USER_INPUT", "field": field}]
    after = customers.data(
        "query($id: ID!) { customer(id: $id) { paymentMethods { id } } }", {"id": customer["id"]}
    )
    assert after["customer"]["paymentMethods"] == []


def test_token_is_served_to_services_only_as_inaccessible_field(customers: ServiceProcess) -> None:
    sdl = customers.data("{ _service { sdl } }")["_service"]["sdl"]
    assert "token: String! @inaccessible" in sdl


def test_unknown_payment_method_is_not_found(customers: ServiceProcess) -> None:
    assert customers.error_codes('mutation { setDefaultPaymentMethod(id: "pm_x") { id } }') == [
        "NOT_FOUND"
    ]


def test_entities_resolve_by_key(customers: ServiceProcess) -> None:
    demo = world().customers[:3]
    reps = [{"__typename": "Customer", "id": c.id} for c in demo]
    reps.append({"__typename": "Customer", "id": "cus_unknown"})
    data = customers.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }",
        {"r": reps},
    )
    assert [e and e["name"] for e in data["_entities"]] == [c.name for c in demo] + [None]


def test_malformed_request_is_4xx_not_500(customers: ServiceProcess) -> None:
    response = customers.client.post(
        f"{customers.url}/graphql",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert 400 <= response.status_code < 500
