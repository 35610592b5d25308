"""Operations and helpers the subscriptions tests share."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from subgraphs.common.demo import DemoPlan, world
from subgraphs.common.ids import new_id
from tests.support.processes import ServiceProcess

FIELDS = """
  id status currentPeriodStart currentPeriodEnd trialEnd cancelAtPeriodEnd canceledAt createdAt
  customer { id } plan { id code }
"""

SUBSCRIBE = f"""
mutation($input: SubscribeInput!, $key: String!) {{
  subscribe(input: $input, idempotencyKey: $key) {{ {FIELDS} }}
}}"""

CANCEL = f"""
mutation($id: ID!, $atPeriodEnd: Boolean!) {{
  cancelSubscription(id: $id, atPeriodEnd: $atPeriodEnd) {{ {FIELDS} }}
}}"""

CHANGE_PLAN = f"""
mutation($id: ID!, $planId: ID!) {{
  changePlan(id: $id, planId: $planId) {{ {FIELDS} }}
}}"""

CUSTOMER_SUBSCRIPTIONS = """
query($r: [_Any!]!, $first: Int, $after: String, $status: SubscriptionStatus) {
  _entities(representations: $r) {
    ... on Customer {
      id
      subscriptions(first: $first, after: $after, status: $status) {
        nodes { id status plan { code } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}"""


def plan(code: str) -> DemoPlan:
    return next(p for p in world().plans if p.code == code)


def new_customer_id() -> str:
    """A well-formed customer id nobody else in the test run uses."""
    return new_id("cus")


def subscribe_variables(customer_id: str, plan_code: str) -> dict[str, Any]:
    return {
        "input": {"customerId": customer_id, "planId": plan(plan_code).id},
        "key": uuid.uuid4().hex,
    }


def subscribe(service: ServiceProcess, plan_code: str, customer_id: str = "") -> dict[str, Any]:
    variables = subscribe_variables(customer_id or new_customer_id(), plan_code)
    created: dict[str, Any] = service.data(SUBSCRIBE, variables)["subscribe"]
    return created


def today() -> date:
    return datetime.now(UTC).date()


def customer_subscriptions(
    service: ServiceProcess, customer_id: str, **arguments: Any
) -> list[dict[str, Any]]:
    variables = {"r": [{"__typename": "Customer", "id": customer_id}], **arguments}
    entity = service.data(CUSTOMER_SUBSCRIPTIONS, variables)["_entities"][0]
    nodes: list[dict[str, Any]] = entity["subscriptions"]["nodes"]
    return nodes
