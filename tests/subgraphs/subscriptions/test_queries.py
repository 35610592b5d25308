"""The subscriptions subgraph over HTTP: plans, subscriptions, pages, filters, entities."""

from __future__ import annotations

import pytest

from subgraphs.common.demo import world
from tests.conftest import SubgraphPool
from tests.support.processes import ServiceProcess

from .support import CUSTOMER_SUBSCRIPTIONS, customer_subscriptions, new_customer_id, subscribe


def demo_plan_code(plan_id: str) -> str:
    return next(p.code for p in world().plans if p.id == plan_id)


@pytest.fixture(scope="module")
def subscriptions(subgraphs: SubgraphPool) -> ServiceProcess:
    return subgraphs["subscriptions"]


def test_plans_are_the_demo_price_list(subscriptions: ServiceProcess) -> None:
    plans = subscriptions.data(
        "{ plans { id code name interval price { amount currency formatted } trialDays active } }"
    )["plans"]
    expected = sorted(world().plans, key=lambda p: p.id)
    assert [p["id"] for p in plans] == [p.id for p in expected]
    first, demo = plans[0], expected[0]
    assert first == {
        "id": demo.id,
        "code": demo.code,
        "name": demo.name,
        "interval": demo.interval,
        "price": {
            "amount": demo.price,
            "currency": demo.currency,
            "formatted": f"{demo.price // 100}.{demo.price % 100:02d} {demo.currency}",
        },
        "trialDays": demo.trial_days,
        "active": True,
    }


def test_plan_by_id_and_unknown_plan_is_null(subscriptions: ServiceProcess) -> None:
    demo = world().plans[3]
    query = "query($id: ID!) { plan(id: $id) { code interval price { amount } } }"
    assert subscriptions.data(query, {"id": demo.id})["plan"] == {
        "code": demo.code,
        "interval": demo.interval,
        "price": {"amount": demo.price},
    }
    assert subscriptions.data(query, {"id": "pln_nope"}) == {"plan": None}


def test_demo_subscription_is_served_with_plan_and_customer(subscriptions: ServiceProcess) -> None:
    demo = next(s for s in world().subscriptions if s.status == "CANCELED")
    got = subscriptions.data(
        "query($id: ID!) { subscription(id: $id) { id status currentPeriodStart currentPeriodEnd "
        "cancelAtPeriodEnd canceledAt customer { id } plan { id } } }",
        {"id": demo.id},
    )["subscription"]
    assert demo.canceled_at is not None
    assert got == {
        "id": demo.id,
        "status": "CANCELED",
        "currentPeriodStart": demo.current_period_start.isoformat(),
        "currentPeriodEnd": demo.current_period_end.isoformat(),
        "cancelAtPeriodEnd": demo.cancel_at_period_end,
        "canceledAt": demo.canceled_at.isoformat(),
        "customer": {"id": demo.customer_id},
        "plan": {"id": demo.plan_id},
    }


def test_trialing_demo_subscription_has_a_trial_end(subscriptions: ServiceProcess) -> None:
    demo = next(s for s in world().subscriptions if s.status == "TRIALING")
    got = subscriptions.data(
        "query($id: ID!) { subscription(id: $id) { trialEnd currentPeriodEnd } }", {"id": demo.id}
    )["subscription"]
    assert got["trialEnd"] == got["currentPeriodEnd"] == demo.current_period_end.isoformat()


def test_unknown_subscription_is_null(subscriptions: ServiceProcess) -> None:
    assert subscriptions.data('{ subscription(id: "sub_nope") { id } }') == {"subscription": None}


def test_pagination_walks_every_subscription_once(subscriptions: ServiceProcess) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = subscriptions.data(
            "query($after: String) { subscriptions(first: 7, after: $after) { "
            "edges { cursor node { id plan { code } } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["subscriptions"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen))
    assert {s.id for s in world().subscriptions} <= set(seen)
    assert seen == sorted(seen)


def test_filters_by_status_customer_and_plan(subscriptions: ServiceProcess) -> None:
    demo = world().subscriptions[4]
    query = (
        "query($f: SubscriptionFilter) { subscriptions(first: 100, filter: $f) "
        "{ nodes { id status customer { id } plan { id } } } }"
    )

    def ids(where: dict[str, str], field: str, value: object) -> set[str]:
        nodes = subscriptions.data(query, {"f": where})["subscriptions"]["nodes"]
        assert all(n[field] == value for n in nodes), nodes
        return {n["id"] for n in nodes}

    past_due = {s.id for s in world().subscriptions if s.status == "PAST_DUE"}
    assert ids({"status": "PAST_DUE"}, "status", "PAST_DUE") >= past_due
    by_customer = ids({"customerId": demo.customer_id}, "customer", {"id": demo.customer_id})
    assert demo.id in by_customer
    by_plan = ids({"planId": demo.plan_id, "status": demo.status}, "plan", {"id": demo.plan_id})
    assert demo.id in by_plan


@pytest.mark.parametrize(
    ("arguments", "code"),
    [("first: 101", "BAD_USER_INPUT"), ("first: -1", "BAD_USER_INPUT"),
     ('after: "not-a-cursor"', "BAD_USER_INPUT")],
)  # fmt: skip
def test_bad_page_arguments(subscriptions: ServiceProcess, arguments: str, code: str) -> None:
    query = f"{{ subscriptions({arguments}) {{ nodes {{ id }} }} }}"
    assert subscriptions.error_codes(query) == [code]


@pytest.mark.parametrize(
    "arguments", [{"first": 101}, {"first": -1}, {"after": "bm90LWEtY3Vyc29y"}]
)
def test_bad_page_arguments_of_customer_subscriptions(
    subscriptions: ServiceProcess, arguments: dict[str, object]
) -> None:
    variables = {"r": [{"__typename": "Customer", "id": new_customer_id()}], **arguments}
    assert subscriptions.error_codes(CUSTOMER_SUBSCRIPTIONS, variables) == ["BAD_USER_INPUT"]


def test_entities_resolve_by_key(subscriptions: ServiceProcess) -> None:
    demo_subscription, demo_plan = world().subscriptions[0], world().plans[1]
    reps = [
        {"__typename": "BillingSubscription", "id": demo_subscription.id},
        {"__typename": "Plan", "id": demo_plan.id},
        {"__typename": "BillingSubscription", "id": "sub_unknown"},
        {"__typename": "Plan", "id": "pln_unknown"},
    ]
    data = subscriptions.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { "
        "... on BillingSubscription { id plan { id } } ... on Plan { id code } } }",
        {"r": reps},
    )
    assert data["_entities"] == [
        {"id": demo_subscription.id, "plan": {"id": demo_subscription.plan_id}},
        {"id": demo_plan.id, "code": demo_plan.code},
        None,
        None,
    ]


def test_customer_subscriptions_of_demo_customer(subscriptions: ServiceProcess) -> None:
    demo = world().subscriptions[7]
    nodes = customer_subscriptions(subscriptions, demo.customer_id)
    assert {
        "id": demo.id,
        "status": demo.status,
        "plan": {"code": demo_plan_code(demo.plan_id)},
    } in nodes
    other = "CANCELED" if demo.status != "CANCELED" else "ACTIVE"
    filtered = customer_subscriptions(subscriptions, demo.customer_id, status=other)
    assert demo.id not in {n["id"] for n in filtered}
    assert all(n["status"] == other for n in filtered)


def test_customer_without_subscriptions_has_an_empty_page(subscriptions: ServiceProcess) -> None:
    assert customer_subscriptions(subscriptions, new_customer_id()) == []


def test_customer_subscriptions_page_by_cursor(subscriptions: ServiceProcess) -> None:
    customer_id = new_customer_id()
    codes = ("starter-monthly", "pro-monthly", "pro-yearly")
    created = [subscribe(subscriptions, code, customer_id)["id"] for code in codes]
    rep = {"r": [{"__typename": "Customer", "id": customer_id}], "first": 2}
    first = subscriptions.data(CUSTOMER_SUBSCRIPTIONS, rep)["_entities"][0]["subscriptions"]
    assert [n["id"] for n in first["nodes"]] == created[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = subscriptions.data(
        CUSTOMER_SUBSCRIPTIONS, {**rep, "after": first["pageInfo"]["endCursor"]}
    )
    page = rest["_entities"][0]["subscriptions"]
    assert [n["id"] for n in page["nodes"]] == created[2:]
    assert page["pageInfo"]["hasNextPage"] is False


def test_billing_subscription_customer_is_a_reference(subscriptions: ServiceProcess) -> None:
    sdl = subscriptions.data("{ _service { sdl } }")["_service"]["sdl"]
    assert 'type BillingSubscription @key(fields: "id")' in sdl
    assert 'type Customer @key(fields: "id")' in sdl
    assert "subscriptions(first: Int" in sdl
