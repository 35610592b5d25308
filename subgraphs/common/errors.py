"""Client-facing errors of the subgraphs, each with a stable ``extensions.code``, and the
catalogue of every code each service answers (``CATALOGUE``; docs/errors.md includes it).

    DomainError                     base; never raised directly
    ├── NotFound                    NOT_FOUND: an id that names nothing
    ├── BadUserInput                BAD_USER_INPUT: input that breaks a rule
    ├── OutOfStock                  OUT_OF_STOCK: not enough stock for an order line
    ├── Conflict                    CONFLICT: the record is in a state that forbids the change
    ├── IdempotencyKeyReused        IDEMPOTENCY_KEY_REUSED: same key, different request
    ├── Unauthenticated             UNAUTHENTICATED: no valid identity token (HTTP 401)
    ├── Forbidden                   FORBIDDEN: the identity may not do this (scope, owner)
    └── ServiceUnavailable          SERVICE_UNAVAILABLE: a service this one needs did not answer

graphql-core copies an exception's ``extensions`` onto the GraphQL error it builds, so
resolvers simply raise these. Anything else is masked as INTERNAL_SERVER_ERROR. Where a code
has several causes, ``extensions.reason`` says which (``REASONS``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A failure the client caused or can act on; carries a stable code."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.details}


class NotFound(DomainError):
    code = "NOT_FOUND"


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"


class OutOfStock(DomainError):
    code = "OUT_OF_STOCK"


class Conflict(DomainError):
    code = "CONFLICT"


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"


class Unauthenticated(DomainError):
    """The request carries no valid identity token (the router's or a peer service's)."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """The identity lacks the scope, or the record belongs to another customer."""

    code = "FORBIDDEN"


class ServiceUnavailable(DomainError):
    """A service this one depends on did not answer; retrying later is safe."""

    code = "SERVICE_UNAVAILABLE"


# Codes ------------------------------------------------------------------------------------

# Every subgraph answers these: the request itself is wrong (HTTP 4xx bodies and GraphQL
# request errors), or something unexpected happened (masked, logged, never a 500).
REQUEST_CODES: dict[str, str] = {
    "BAD_REQUEST": "The HTTP body is not a GraphQL request (not JSON, wrong field types, "
    "unknown operationName).",
    "METHOD_NOT_ALLOWED": "Not a POST: subgraphs take GraphQL over POST only.",
    "UNSUPPORTED_MEDIA_TYPE": "The body is not application/json.",
    "PAYLOAD_TOO_LARGE": "The body exceeds <SERVICE>_MAX_BODY_BYTES.",
    "GRAPHQL_PARSE_FAILED": "The document is not valid GraphQL syntax (or nests too deeply).",
    "GRAPHQL_VALIDATION_FAILED": "The document does not fit the schema or a document limit "
    "(depth, aliases, tokens).",
    "BAD_USER_INPUT": "An argument, variable or entity representation breaks a rule; "
    "extensions.field names it.",
    "UNAUTHENTICATED": "HTTP 401: no valid X-Switchboard-Identity token (signed by the router "
    "for this subgraph, or by a peer service); extensions.reason says why (missing, expired, "
    "signature, audience, issuer, …).",
    "INTERNAL_SERVER_ERROR": "An unexpected failure, logged by the service; the message is "
    "masked. Safe to retry calls that take an idempotency key.",
}

_NOT_FOUND = "An id in a mutation names nothing (lookups answer null instead)."
_CONFLICT = "The record's state forbids the change; extensions.reason says why where it can."
_KEY_REUSED = "The idempotencyKey was used before with a different request."
_UNAVAILABLE = "A service this one needs did not answer; repeat later (same key)."
_FORBIDDEN = (
    "The identity may not do this: the record belongs to another customer, or the operation "
    "needs a staff scope (docs/security.md)."
)

CATALOGUE: dict[str, dict[str, str]] = {
    "customers": {
        "NOT_FOUND": _NOT_FOUND,
        "CONFLICT": "The e-mail is taken, or the customer is CLOSED.",
        "IDEMPOTENCY_KEY_REUSED": _KEY_REUSED,
        "FORBIDDEN": _FORBIDDEN,
    },
    "orders": {
        "NOT_FOUND": _NOT_FOUND,
        "OUT_OF_STOCK": "Not enough stock for a line; extensions.productId and requested.",
        "CONFLICT": "The order is in a state that cannot be paid or cancelled now.",
        "IDEMPOTENCY_KEY_REUSED": _KEY_REUSED,
        "SERVICE_UNAVAILABLE": _UNAVAILABLE,
        "FORBIDDEN": _FORBIDDEN,
    },
    "invoices": {
        "NOT_FOUND": _NOT_FOUND,
        "CONFLICT": _CONFLICT,
        "IDEMPOTENCY_KEY_REUSED": _KEY_REUSED,
        "SERVICE_UNAVAILABLE": _UNAVAILABLE,
        "FORBIDDEN": _FORBIDDEN,
    },
    "subscriptions": {
        "NOT_FOUND": _NOT_FOUND,
        "CONFLICT": "The subscription is canceled, or the customer already has a live one "
        "on the plan.",
        "IDEMPOTENCY_KEY_REUSED": _KEY_REUSED,
        "SERVICE_UNAVAILABLE": _UNAVAILABLE,
        "FORBIDDEN": _FORBIDDEN,
    },
}

# extensions.reason values, which refine a code.
REASONS: dict[str, str] = {
    "INVOICE_NOT_OPEN": "CONFLICT: the invoice is not OPEN (extensions.status says what it is).",
    "PAYMENT_PENDING": "CONFLICT: a payment of the invoice is still pending at the bank.",
    "CUSTOMER_NOT_FOUND": "CONFLICT: the customers service has no such customer.",
    "NO_PAYMENT_METHOD": "CONFLICT: the customer has no default card; name one.",
    "PERIOD_NOT_RENEWED": "CONFLICT: the subscription's period is over and unpaid; its plan "
    "cannot change until it is paid.",
    "REFUND_EXCEEDS_CAPTURED": "BAD_USER_INPUT: more than is left to refund "
    "(extensions.refundable).",
}


def codes_of(service: str) -> dict[str, str]:
    """Every code ``service`` may answer, with its meaning: its own, then the request codes."""
    return {**CATALOGUE[service], **REQUEST_CODES}
