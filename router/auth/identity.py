"""Who a request acts for, as the router verified it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CUSTOMER_SCOPE = "customer"


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified token's subject and scopes; ``subject is None`` is the anonymous identity.

    A customer is a subject with the ``customer`` scope (the subject is the customer's id);
    staff have scopes such as ``support:read`` or ``admin``.
    """

    subject: str | None = None
    scopes: frozenset[str] = frozenset()
    issuer: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)
    expires_at: float | None = None

    @property
    def authenticated(self) -> bool:
        return self.subject is not None

    @property
    def customer_id(self) -> str | None:
        return self.subject if CUSTOMER_SCOPE in self.scopes else None

    @property
    def key(self) -> tuple[str | None, tuple[str, ...]]:
        """What subgraphs are told about this identity: equal keys, equal answers."""
        return self.subject, tuple(sorted(self.scopes))


ANONYMOUS = Identity()


def scopes_of(claims: Mapping[str, Any], claim: str = "scope") -> frozenset[str]:
    """OAuth scopes: a space-separated ``scope`` string, or a list (``scp`` style)."""
    raw = claims.get(claim)
    if raw is None and claim == "scope":
        raw = claims.get("scp")
    if isinstance(raw, str):
        return frozenset(raw.split())
    if isinstance(raw, list):
        return frozenset(str(s) for s in raw if isinstance(s, str))
    return frozenset()
