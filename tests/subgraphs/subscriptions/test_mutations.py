"""subscribe, cancelSubscription and changePlan over HTTP, with their rules."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from subgraphs.common.months import add_intervals
from tests.conftest import SubgraphPool
from tests.support.processes import ServiceProcess

from .support import (
    CANCEL,
    CHANGE_PLAN,
    SUBSCRIBE,
    customer_subscriptions,
    new_customer_id,
    plan,
    subscribe,
    subscribe_variables,
    today,
)


@pytest.fixture(scope="module")
def subscriptions(subgraphs: SubgraphPool) -> ServiceProcess:
    return subgraphs["subscriptions"]


def _days(before: date, after: date, delta: timedelta) -> set[str]:
    """Both possible answers, should the test straddle midnight UTC."""
    return {(before + delta).isoformat(), (after + delta).isoformat()}


def test_plan_with_trial_starts_trialing(subscriptions: ServiceProcess) -> None:
    before = today()
    created = subscribe(subscriptions, "starter-monthly")
    after = today()
    trial = timedelta(days=plan("starter-monthly").trial_days)
    assert created["status"] == "TRIALING"
    assert created["trialEnd"] in _days(before, after, trial)
    assert created["currentPeriodEnd"] == created["trialEnd"]
    assert created["currentPeriodStart"] in _days(before, after, timedelta(0))
    assert created["cancelAtPeriodEnd"] is False
    assert created["canceledAt"] is None
    assert created["id"].startswith("sub_")


@pytest.mark.parametrize(
    ("code", "interval"), [("enterprise-monthly", "MONTH"), ("pro-yearly", "YEAR")]
)
def test_plan_without_trial_starts_active_for_one_interval(
    subscriptions: ServiceProcess, code: str, interval: str
) -> None:
    before = today()
    created = subscribe(subscriptions, code)
    after = today()
    assert created["status"] == "ACTIVE"
    assert created["trialEnd"] is None
    assert created["plan"]["code"] == code
    ends = {add_intervals(before, interval).isoformat(), add_intervals(after, interval).isoformat()}
    assert created["currentPeriodEnd"] in ends


def test_unknown_plan_is_not_found(subscriptions: ServiceProcess) -> None:
    variables = subscribe_variables(new_customer_id(), "starter-monthly")
    variables["input"]["planId"] = "pln_missing"
    assert subscriptions.error_codes(SUBSCRIBE, variables) == ["NOT_FOUND"]


MALFORMED_CUSTOMER_IDS = ["", "cus_", "cust_01ABC", "01ABC", "cus_<script>", "cus_" + "A" * 37]


@pytest.mark.parametrize("customer_id", MALFORMED_CUSTOMER_IDS)
def test_customer_id_must_look_like_one(subscriptions: ServiceProcess, customer_id: str) -> None:
    body = subscriptions.execute(SUBSCRIBE, subscribe_variables(customer_id, "pro-monthly"))
    assert [e["extensions"] for e in body["errors"]] == [
        {"code": "BAD_USER_INPUT", "field": "customerId"}
    ]


def test_second_live_subscription_to_a_plan_conflicts(subscriptions: ServiceProcess) -> None:
    customer_id = new_customer_id()
    first = subscribe(subscriptions, "pro-monthly", customer_id)
    again = subscribe_variables(customer_id, "pro-monthly")
    assert subscriptions.error_codes(SUBSCRIBE, again) == ["CONFLICT"]
    subscriptions.data(CANCEL, {"id": first["id"], "atPeriodEnd": False})
    renewed = subscribe(subscriptions, "pro-monthly", customer_id)
    assert renewed["id"] != first["id"]
    assert len(customer_subscriptions(subscriptions, customer_id)) == 2


def test_concurrent_subscribes_let_exactly_one_win(subscriptions: ServiceProcess) -> None:
    customer_id = new_customer_id()
    attempts = [subscribe_variables(customer_id, "starter-yearly") for _ in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        bodies = list(pool.map(lambda v: subscriptions.execute(SUBSCRIBE, v), attempts))
    winners = [b for b in bodies if not b.get("errors")]
    codes = [e["extensions"]["code"] for b in bodies for e in b.get("errors", [])]
    assert len(winners) == 1, bodies
    assert codes == ["CONFLICT"] * 3
    assert len(customer_subscriptions(subscriptions, customer_id)) == 1


def test_subscribe_is_idempotent(subscriptions: ServiceProcess) -> None:
    variables = subscribe_variables(new_customer_id(), "pro-monthly")
    first = subscriptions.data(SUBSCRIBE, variables)["subscribe"]
    again = subscriptions.data(SUBSCRIBE, variables)["subscribe"]
    assert first == again
    customer_id = variables["input"]["customerId"]
    assert [n["id"] for n in customer_subscriptions(subscriptions, customer_id)] == [first["id"]]


def test_reused_key_with_other_input_is_refused_and_creates_nothing(
    subscriptions: ServiceProcess,
) -> None:
    variables = subscribe_variables(new_customer_id(), "pro-monthly")
    subscriptions.data(SUBSCRIBE, variables)
    other = subscribe_variables(new_customer_id(), "pro-monthly")
    other["key"] = variables["key"]
    assert subscriptions.error_codes(SUBSCRIBE, other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert customer_subscriptions(subscriptions, other["input"]["customerId"]) == []


def test_refused_subscribe_frees_its_key(subscriptions: ServiceProcess) -> None:
    variables = subscribe_variables("not-a-customer", "pro-monthly")
    assert subscriptions.error_codes(SUBSCRIBE, variables) == ["BAD_USER_INPUT"]
    variables["input"]["customerId"] = new_customer_id()
    assert subscriptions.data(SUBSCRIBE, variables)["subscribe"]["status"] == "TRIALING"


def test_blank_idempotency_key_is_bad_input(subscriptions: ServiceProcess) -> None:
    variables = {**subscribe_variables(new_customer_id(), "pro-monthly"), "key": " "}
    assert subscriptions.error_codes(SUBSCRIBE, variables) == ["BAD_USER_INPUT"]


def test_cancel_at_period_end_keeps_the_status(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "enterprise-monthly")
    scheduled = subscriptions.data(CANCEL, {"id": created["id"], "atPeriodEnd": True})
    got = scheduled["cancelSubscription"]
    assert got["status"] == "ACTIVE"
    assert got["cancelAtPeriodEnd"] is True
    assert got["canceledAt"] is None
    assert got["currentPeriodEnd"] == created["currentPeriodEnd"]


def test_cancel_now_cancels(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "starter-monthly")
    got = subscriptions.data(CANCEL, {"id": created["id"], "atPeriodEnd": False})
    canceled = got["cancelSubscription"]
    assert canceled["status"] == "CANCELED"
    assert canceled["canceledAt"] is not None
    assert canceled["canceledAt"].endswith("+00:00")
    assert canceled["cancelAtPeriodEnd"] is False
    stored = subscriptions.data(
        "query($id: ID!) { subscription(id: $id) { status canceledAt } }", {"id": created["id"]}
    )["subscription"]
    assert stored == {"status": "CANCELED", "canceledAt": canceled["canceledAt"]}


@pytest.mark.parametrize("at_period_end", [True, False])
def test_cancelling_a_canceled_subscription_conflicts(
    subscriptions: ServiceProcess, at_period_end: bool
) -> None:
    created = subscribe(subscriptions, "pro-yearly")
    subscriptions.data(CANCEL, {"id": created["id"], "atPeriodEnd": False})
    codes = subscriptions.error_codes(CANCEL, {"id": created["id"], "atPeriodEnd": at_period_end})
    assert codes == ["CONFLICT"]


def test_cancelling_an_unknown_subscription_is_not_found(subscriptions: ServiceProcess) -> None:
    assert subscriptions.error_codes(CANCEL, {"id": "sub_missing", "atPeriodEnd": True}) == [
        "NOT_FOUND"
    ]


def test_change_plan_of_the_same_interval_keeps_the_period(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "enterprise-monthly")
    changed = subscriptions.data(
        CHANGE_PLAN, {"id": created["id"], "planId": plan("pro-monthly").id}
    )["changePlan"]
    assert changed["plan"]["code"] == "pro-monthly"
    assert changed["id"] == created["id"]
    assert changed["status"] == "ACTIVE"
    keep = ("currentPeriodStart", "currentPeriodEnd", "trialEnd", "customer")
    assert {k: changed[k] for k in keep} == {k: created[k] for k in keep}


def test_change_to_another_interval_restarts_the_period(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "enterprise-monthly")
    before = today()
    changed = subscriptions.data(
        CHANGE_PLAN, {"id": created["id"], "planId": plan("pro-yearly").id}
    )["changePlan"]
    after = today()
    assert changed["plan"]["code"] == "pro-yearly"
    assert changed["currentPeriodStart"] in {before.isoformat(), after.isoformat()}
    ends = {add_intervals(before, "YEAR").isoformat(), add_intervals(after, "YEAR").isoformat()}
    assert changed["currentPeriodEnd"] in ends


def test_change_plan_keeps_a_running_trial(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "starter-monthly")
    changed = subscriptions.data(
        CHANGE_PLAN, {"id": created["id"], "planId": plan("pro-yearly").id}
    )["changePlan"]
    assert changed["status"] == "TRIALING"
    assert changed["currentPeriodEnd"] == changed["trialEnd"] == created["trialEnd"]


def test_change_plan_refusals(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "pro-monthly")
    cases = [
        (plan("starter-monthly-usd").id, "BAD_USER_INPUT"),  # another currency
        (plan("pro-monthly").id, "BAD_USER_INPUT"),  # the same plan
        ("pln_missing", "NOT_FOUND"),
    ]
    for plan_id, code in cases:
        variables = {"id": created["id"], "planId": plan_id}
        assert subscriptions.error_codes(CHANGE_PLAN, variables) == [code], plan_id
    unchanged = subscriptions.data(
        "query($id: ID!) { subscription(id: $id) { plan { code } } }", {"id": created["id"]}
    )
    assert unchanged["subscription"]["plan"]["code"] == "pro-monthly"


def test_change_plan_of_a_canceled_subscription_conflicts(subscriptions: ServiceProcess) -> None:
    created = subscribe(subscriptions, "pro-monthly")
    subscriptions.data(CANCEL, {"id": created["id"], "atPeriodEnd": False})
    variables = {"id": created["id"], "planId": plan("pro-yearly").id}
    assert subscriptions.error_codes(CHANGE_PLAN, variables) == ["CONFLICT"]


def test_change_to_a_plan_already_held_conflicts(subscriptions: ServiceProcess) -> None:
    customer_id = new_customer_id()
    monthly = subscribe(subscriptions, "pro-monthly", customer_id)
    subscribe(subscriptions, "enterprise-monthly", customer_id)
    variables = {"id": monthly["id"], "planId": plan("enterprise-monthly").id}
    assert subscriptions.error_codes(CHANGE_PLAN, variables) == ["CONFLICT"]


def test_change_plan_of_an_unknown_subscription_is_not_found(
    subscriptions: ServiceProcess,
) -> None:
    variables = {"id": "sub_missing", "planId": plan("pro-yearly").id}
    assert subscriptions.error_codes(CHANGE_PLAN, variables) == ["NOT_FOUND"]
