"""Whose rows, through a real production-mode router over the four real subgraphs (#14).

The router removes what the identity may not see (``@authenticated``, ``@requiresScopes``);
the subgraphs, which trust the router's signed identity, filter the rows: a customer reads
its own data, gets ``null`` for another customer's and ``FORBIDDEN`` acting on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from subgraphs.common.demo import world
from tests.security.router_stack import running_subgraphs, start_router
from tests.support.identity import bearer, customer_bearer
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.slow

ALICE = world().customers[0].id
BOB = world().customers[1].id


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp("ownership")
    with running_subgraphs(tmp) as subgraphs:
        process = start_router(tmp, subgraphs.urls())
        yield process
        process.stop()


def ask(
    router: ServiceProcess, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    with httpx.Client(timeout=60) as client:  # not the process client: no default identity
        response = client.post(
            f"{router.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


EVERYTHING = """
query($id: ID!) {
  customer(id: $id) {
    id email
    paymentMethods { id last4 }
    orders { nodes { id customer { id } invoice { id payments { id bankReference } } } }
    invoices { nodes { id customer { id } } }
    subscriptions { nodes { id customer { id } } }
  }
}
"""


def test_anonymous_reads_the_catalogue_only(router: ServiceProcess) -> None:
    catalogue = ask(router, "{ products(first: 2) { nodes { id } } plans { id } }", {})
    assert "errors" not in catalogue
    assert catalogue["data"]["plans"]
    body = ask(router, "query($id: ID!) { customer(id: $id) { email } }", {}, id=ALICE)
    assert body["data"] == {"customer": None}
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    body = ask(router, "{ orders { totalCount } invoices { totalCount } }", {})
    assert body["data"] is None or body["data"] == {"orders": None, "invoices": None}
    assert set(codes(body)) == {"UNAUTHORIZED_FIELD_OR_TYPE"}


def test_a_customer_reads_its_own_data_across_every_subgraph(router: ServiceProcess) -> None:
    body = ask(router, EVERYTHING, customer_bearer(ALICE), id=ALICE)
    assert "errors" not in body, body["errors"]
    customer = body["data"]["customer"]
    assert customer["id"] == ALICE
    owners = {o["customer"]["id"] for o in customer["orders"]["nodes"]}
    owners |= {i["customer"]["id"] for i in customer["invoices"]["nodes"]}
    owners |= {s["customer"]["id"] for s in customer["subscriptions"]["nodes"]}
    assert owners <= {ALICE}


def test_a_customer_gets_null_for_another_customer(router: ServiceProcess) -> None:
    body = ask(router, EVERYTHING, customer_bearer(ALICE), id=BOB)
    assert body == {"data": {"customer": None}}


def test_a_customers_lists_hold_only_its_own_rows(router: ServiceProcess) -> None:
    query = """{
      orders(first: 100) { nodes { customer { id } } }
      invoices(first: 100) { nodes { customer { id } } }
      subscriptions(first: 100) { nodes { customer { id } } }
    }"""
    staff = ask(router, query, bearer("staff-1", ["support:read"]))
    everyone = {n["customer"]["id"] for f in staff["data"].values() for n in f["nodes"]}
    assert len(everyone) > 1
    mine = ask(router, query, customer_bearer(ALICE))
    assert {n["customer"]["id"] for f in mine["data"].values() for n in f["nodes"]} <= {ALICE}


def test_the_customer_list_is_for_staff(router: ServiceProcess) -> None:
    query = "{ customers { totalCount } }"
    body = ask(router, query, customer_bearer(ALICE))
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    staff = ask(router, query, bearer("staff-1", ["support:read"]))
    assert staff["data"]["customers"]["totalCount"] == len(world().customers)


def test_acting_on_another_customers_record_is_forbidden(router: ServiceProcess) -> None:
    mutation = 'mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Mallory"}) { id } }'
    body = ask(router, mutation, customer_bearer(ALICE), id=BOB)
    assert codes(body) == ["FORBIDDEN"]
    after = ask(router, "query($id: ID!) { customer(id: $id) { name } }", bearer(), id=BOB)
    assert after["data"]["customer"]["name"] != "Mallory"


def test_staff_mutations_need_the_scope_in_the_router_and_the_subgraph(
    router: ServiceProcess,
) -> None:
    refund = 'mutation { refundPayment(paymentId: "pay_x", idempotencyKey: "k-1") { __typename } }'
    body = ask(router, refund, customer_bearer(ALICE))
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    body = ask(router, refund, bearer("staff-2", ["refunds:write"]))
    assert "UNAUTHORIZED_FIELD_OR_TYPE" not in codes(body)
    assert "FORBIDDEN" not in codes(body)
