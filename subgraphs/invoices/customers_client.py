"""Ask the customers subgraph, service to service, for a customer and their card tokens.

Card tokens are ``@inaccessible`` in the supergraph: the router's API never shows them,
but the customers subgraph answers them to services that query it directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from subgraphs.common.errors import DomainError

PROFILE = """
query InvoicesCustomerProfile($id: ID!) {
  customer(id: $id) {
    id email name address { country }
    paymentMethods { id token isDefault }
  }
}
"""


class ServiceUnavailable(DomainError):
    """SERVICE_UNAVAILABLE: a service this one depends on did not answer; retry later."""

    code = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    token: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    id: str
    email: str
    name: str
    country: str
    cards: tuple[Card, ...]

    def card(self, payment_method_id: str | None) -> Card | None:
        """The named card if it is this customer's, else the default one (or None)."""
        if payment_method_id is not None:
            return next((c for c in self.cards if c.id == payment_method_id), None)
        return next((c for c in self.cards if c.is_default), None)


class CustomersClient:
    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http = http
        self._url = url

    async def profile(self, customer_id: str) -> CustomerProfile | None:
        """The customer with their cards, or None if the customers service has none."""
        try:
            response = await self._http.post(
                self._url, json={"query": PROFILE, "variables": {"id": customer_id}}
            )
            body: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable(
                f"The customers service did not answer ({type(exc).__name__}); retry later.",
                service="customers",
            ) from exc
        if response.status_code != 200 or body.get("errors") or "data" not in body:
            raise ServiceUnavailable(
                f"The customers service failed (HTTP {response.status_code}); retry later.",
                service="customers",
            )
        found = body["data"]["customer"]
        return _profile(found) if found else None


def _profile(data: dict[str, Any]) -> CustomerProfile:
    return CustomerProfile(
        id=data["id"],
        email=data["email"],
        name=data["name"],
        country=data["address"]["country"],
        cards=tuple(
            Card(id=pm["id"], token=pm["token"], is_default=pm["isDefault"])
            for pm in data["paymentMethods"]
        ),
    )
