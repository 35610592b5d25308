"""Client-facing errors of the subgraphs, each with a stable ``extensions.code``.

    DomainError                     base; never raised directly
    ├── NotFound                    NOT_FOUND: an id that names nothing
    ├── BadUserInput                BAD_USER_INPUT: input that breaks a rule
    ├── OutOfStock                  OUT_OF_STOCK: not enough stock for an order line
    ├── Conflict                    CONFLICT: the record is in a state that forbids the change
    └── IdempotencyKeyReused        IDEMPOTENCY_KEY_REUSED: same key, different request

graphql-core copies an exception's ``extensions`` onto the GraphQL error it builds, so
resolvers simply raise these. Anything else is masked as INTERNAL_SERVER_ERROR.
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
