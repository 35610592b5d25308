"""Typed service-to-service clients: the customers and invoices subgraphs, over GraphQL.

Every call has a timeout. A call that does not complete — refused connection, timeout, a
5xx, a masked internal error — raises ``PeerUnavailable``; the write calls take an
idempotency key, so the caller can repeat them later with the same key and get the one
invoice or the one charge the first call made. A domain error the peer answers (e.g.
``NOT_FOUND``) raises ``PeerRefused`` with its code.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import httpx

from .errors import ServiceUnavailable
from .invoice_state import SETTLED, BadInvoiceState, InvoiceState
from .service_tokens import ServiceSigner, signed_headers
from .settings import SubgraphSettings

logger = logging.getLogger("switchboard.peers")

# Codes that say "try again later" rather than "this request is wrong".
_RETRYABLE_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "BANK_UNAVAILABLE"})


class PeerUnavailable(Exception):
    """The peer did not complete the call; repeating it with the same key is safe."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"the {service} service did not complete the call: {reason}")
        self.service = service


class PeerRefused(Exception):
    """The peer answered with a domain error; repeating the call will not help."""

    def __init__(self, service: str, message: str, extensions: dict[str, Any]) -> None:
        self.code = str(extensions.get("code", "INTERNAL_SERVER_ERROR"))
        super().__init__(f"the {service} service refused the call ({self.code}): {message}")
        self.service = service
        self.message = message
        self.extensions = extensions
        reason = extensions.get("reason")  # why, where the peer says more than the code
        self.reason = str(reason) if reason else None


def health_url(graphql_url: str) -> str:
    """``http://host:port/health`` of the service whose GraphQL endpoint is ``graphql_url``."""
    return graphql_url.rstrip("/").removesuffix("/graphql") + "/health"


class FailureLog:
    """Logs each (subject, reason) once: a failure that repeats every minute is one line."""

    def __init__(self, log: logging.Logger, *, remember: int = 1000) -> None:
        self._log = log
        self._seen: dict[tuple[str, str], None] = {}
        self._remember = remember

    def once(self, subject: str, reason: str, *, exc_info: bool = False) -> bool:
        """Log ``reason`` for ``subject`` unless it was logged already; True if it logged."""
        if (subject, reason) in self._seen:
            return False
        if len(self._seen) >= self._remember:
            self._seen.pop(next(iter(self._seen)))
        self._seen[(subject, reason)] = None
        self._log.warning("%s: %s", subject, reason, exc_info=exc_info)
        return True


async def wait_until_ready(
    http: httpx.AsyncClient, urls: Sequence[str], *, most: float = 5.0
) -> None:
    """Return once every health URL answers 200; log why each is not ready, once."""
    waiting = FailureLog(logger)
    delay = 0.1
    for url in urls:
        while True:
            try:
                response = await http.get(url, timeout=2.0)
                if response.status_code == 200:
                    break
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            waiting.once(f"waiting for {url}", reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, most)


def http_client(settings: SubgraphSettings) -> httpx.AsyncClient:
    """One pooled client for a service's calls to its peers."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.service_timeout_seconds, connect=2.0),
        headers={"user-agent": f"switchboard-{settings.name}"},
    )


class GraphQLPeer:
    """POST GraphQL to one peer subgraph; ``data`` back, or one of the two errors above.

    With a ``signer``, every call carries this service's token for the peer (``aud`` = its
    name); without one the peer refuses the call (a 401, reported as unavailable).
    """

    def __init__(
        self, http: httpx.AsyncClient, url: str, service: str, signer: ServiceSigner | None
    ) -> None:
        self._http = http
        self._url = url
        self.service = service
        self._signer = signer

    async def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                self._url,
                json={"query": query, "variables": variables},
                headers=signed_headers(self._signer, self.service),
            )
        except httpx.HTTPError as exc:
            raise PeerUnavailable(self.service, type(exc).__name__) from exc
        if response.status_code >= 500:
            raise PeerUnavailable(self.service, f"HTTP {response.status_code}")
        if response.status_code in (401, 403):  # a configuration to fix; the call can be repeated
            raise PeerUnavailable(self.service, f"HTTP {response.status_code}: not authorised")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise PeerUnavailable(self.service, "a response that is not JSON") from exc
        errors = body.get("errors") or []
        if errors:
            first = errors[0]
            extensions = first.get("extensions") or {}
            code = str(extensions.get("code", "INTERNAL_SERVER_ERROR"))
            if code in _RETRYABLE_CODES:
                raise PeerUnavailable(self.service, f"{code}: {first.get('message')}")
            raise PeerRefused(self.service, str(first.get("message")), extensions)
        data = body.get("data")
        if not isinstance(data, dict):
            raise PeerUnavailable(self.service, f"HTTP {response.status_code} without data")
        return data


# Customers -------------------------------------------------------------------------------

CONTACT = "query SwitchboardContact($id: ID!) { customer(id: $id) { id email name } }"


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    email: str
    name: str


# Card tokens are ``@inaccessible`` in the supergraph: the router's API never shows them, but
# the customers subgraph answers them to services that query it directly.
PROFILE = """
query SwitchboardCustomerProfile($id: ID!) {
  customer(id: $id) {
    id email name address { country }
    paymentMethods { id token isDefault }
  }
}"""


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    token: str
    is_default: bool


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """A customer as payments need them: whom to e-mail, where they are taxed, their cards."""

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
    """The one client of the customers service (orders, invoices and subscriptions use it)."""

    def __init__(
        self, http: httpx.AsyncClient, url: str, signer: ServiceSigner | None = None
    ) -> None:
        self._peer = GraphQLPeer(http, url, "customers", signer)

    async def contact(self, customer_id: str) -> Contact | None:
        """Whom to e-mail about ``customer_id``; None if the customers service has no such one."""
        found = (await self._peer.execute(CONTACT, {"id": customer_id}))["customer"]
        if found is None:
            return None
        return Contact(id=found["id"], email=found["email"], name=found["name"])

    async def profile(self, customer_id: str) -> CustomerProfile | None:
        """The customer with their country and cards; None if there is no such customer."""
        found = (await self._peer.execute(PROFILE, {"id": customer_id}))["customer"]
        if found is None:
            return None
        try:
            return CustomerProfile(
                id=found["id"],
                email=found["email"],
                name=found["name"],
                country=found["address"]["country"],
                cards=tuple(
                    Card(id=pm["id"], token=pm["token"], is_default=pm["isDefault"])
                    for pm in found["paymentMethods"]
                ),
            )
        except (KeyError, TypeError) as exc:
            raise PeerUnavailable("customers", f"an unexpected answer: {exc!r}") from exc


def unavailable(exc: PeerUnavailable) -> ServiceUnavailable:
    """The client-facing error for a peer that did not complete a call."""
    return ServiceUnavailable(f"{exc}; retry later.", service=exc.service)


# Invoices --------------------------------------------------------------------------------

ISSUE = """
mutation SwitchboardIssueInvoice($input: IssueInvoiceInput!, $key: String!) {
  issueInvoice(input: $input, idempotencyKey: $key) {
    id number status total { amount currency }
  }
}"""

STATE = """
query SwitchboardInvoiceState($id: ID!) {
  invoice(id: $id) {
    id status paidAt total { amount currency } order { id } payments { amountRefunded { amount } }
  }
}"""

VOID = "mutation SwitchboardVoidInvoice($id: ID!) { voidInvoice(id: $id) { id status } }"

PAY = """
mutation SwitchboardPayInvoice($id: ID!, $pm: ID, $key: String!) {
  payInvoice(invoiceId: $id, paymentMethodId: $pm, idempotencyKey: $key) {
    __typename
    ... on PaymentSucceeded { invoice { number total { amount currency } } }
    ... on PaymentDeclined { reason message }
    ... on PaymentPending { message }
    ... on PaymentFailed { message }
  }
}"""


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    description: str
    quantity: int
    unit_amount: int


@dataclass(frozen=True, slots=True)
class InvoiceRequest:
    """What to bill: ``order_id`` for an order, or the subscription and its period."""

    customer_id: str
    currency: str
    lines: Sequence[InvoiceLine]
    order_id: str | None = None
    subscription_id: str | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True)
class IssuedInvoice:
    id: str
    number: str
    status: str
    total: int
    currency: str


# SUCCEEDED: captured, the invoice is PAID. DECLINED: the card was refused (``reason``).
# PENDING: the bank's answer is unknown; the same key asks again. FAILED: the bank charged
# nothing (an error on its side); paying again needs a new key.
PaymentKind = Literal["SUCCEEDED", "DECLINED", "PENDING", "FAILED"]
_KINDS: dict[str, PaymentKind] = {
    "PaymentSucceeded": "SUCCEEDED",
    "PaymentDeclined": "DECLINED",
    "PaymentPending": "PENDING",
    "PaymentFailed": "FAILED",
}


@dataclass(frozen=True, slots=True)
class Charged:
    """What a succeeded payment took: the invoice's number and total."""

    invoice_number: str
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    kind: PaymentKind
    reason: str | None = None
    message: str | None = None
    charged: Charged | None = None


class InvoicesClient:
    def __init__(
        self, http: httpx.AsyncClient, url: str, signer: ServiceSigner | None = None
    ) -> None:
        self._peer = GraphQLPeer(http, url, "invoices", signer)

    async def issue_invoice(self, request: InvoiceRequest, *, key: str) -> IssuedInvoice:
        """The invoice for ``request``; the same one again for the same ``key``."""
        data = await self._peer.execute(ISSUE, {"input": _issue_input(request), "key": key})
        invoice = data["issueInvoice"]
        return IssuedInvoice(
            id=invoice["id"],
            number=invoice["number"],
            status=invoice["status"],
            total=invoice["total"]["amount"],
            currency=invoice["total"]["currency"],
        )

    async def pay_invoice(
        self, invoice_id: str, *, key: str, payment_method_id: str | None = None
    ) -> PaymentOutcome:
        """Charge the invoice (the customer's default card unless one is named)."""
        variables = {"id": invoice_id, "pm": payment_method_id, "key": key}
        result = (await self._peer.execute(PAY, variables))["payInvoice"]
        kind = _KINDS.get(result.get("__typename", ""))
        if kind is None:
            raise PeerUnavailable("invoices", f"unknown payment result {result!r}")
        invoice = result.get("invoice")
        charged = (
            Charged(invoice["number"], invoice["total"]["amount"], invoice["total"]["currency"])
            if invoice
            else None
        )
        return PaymentOutcome(
            kind=kind, reason=result.get("reason"), message=result.get("message"), charged=charged
        )

    async def invoice_state(self, invoice_id: str) -> InvoiceState | None:
        """The money state of an order's invoice; None unless it is settled (paid)."""
        found = (await self._peer.execute(STATE, {"id": invoice_id}))["invoice"]
        if found is None or found["status"] not in SETTLED or not found["order"]:
            return None
        refunded = sum(p["amountRefunded"]["amount"] for p in found["payments"])
        wire = {
            "invoiceId": found["id"],
            "orderId": found["order"]["id"],
            "status": found["status"],
            "paidAt": found["paidAt"],
            "amountPaid": found["total"]["amount"],
            "amountRefunded": refunded,
            "currency": found["total"]["currency"],
        }
        try:
            return InvoiceState.from_wire(wire)
        except BadInvoiceState as exc:
            raise PeerUnavailable("invoices", f"an invalid invoice state: {exc}") from exc

    async def void_invoice(self, invoice_id: str) -> str:
        """Void an OPEN invoice; its status afterwards."""
        data = await self._peer.execute(VOID, {"id": invoice_id})
        return str(data["voidInvoice"]["status"])


def _issue_input(request: InvoiceRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customerId": request.customer_id,
        "currency": request.currency,
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unitAmount": line.unit_amount,
            }
            for line in request.lines
        ],
    }
    optional = {
        "orderId": request.order_id,
        "subscriptionId": request.subscription_id,
        "periodStart": request.period_start.isoformat() if request.period_start else None,
        "periodEnd": request.period_end.isoformat() if request.period_end else None,
    }
    data.update({k: v for k, v in optional.items() if v is not None})
    return data
