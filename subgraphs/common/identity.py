"""Who is asking: the signed identity every ``/graphql`` request to a subgraph must carry.

A request comes either from the router, with ``X-Switchboard-Identity`` signed by the router's
Ed25519 key (``iss: "switchboard-router"``, ``aud``: this service), or from a peer service,
with a token signed by that service's key (``iss: "switchboard-service:<caller>"``, ``aud``:
this service, ``scope: "service"``). Anything else is refused with HTTP 401 and
``UNAUTHENTICATED``, before GraphQL sees the body: ``_service``, ``_entities`` and every
operation alike. Without keys configured, every request is refused (secure by default). The
check itself is ``token_check``'s, the same for the router's tokens and the peers'.

``Identity`` then answers the ownership questions resolvers ask: may this request see a
customer's rows, which rows may a list show, may it act on a customer's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from .db import RequestDb
from .errors import Forbidden
from .keys import public_keys_in, service_keys_from_json
from .token_check import LEEWAY_SECONDS, SERVICE_SCOPE, Remembered, TokenRefused, TokenVerifier

HEADER = "x-switchboard-identity"
CUSTOMER_SCOPE = "customer"
CUSTOMER_PREFIX = "cus_"
CACHE_ENTRIES = 10_000

# Staff scopes that read every customer's data (docs/security.md, identities).
STAFF_READ_SCOPES = frozenset(
    {"support:read", "support:write", "billing:write", "refunds:write", "admin"}
)
ADMIN_SCOPE = "admin"


Unauthenticated = TokenRefused  # what the guard answers with HTTP 401


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller: the router (for an end user, or anonymous) or a peer service."""

    caller: str  # "router" or the calling service's name
    subject: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_service(self) -> bool:
        return self.caller != "router" and SERVICE_SCOPE in self.scopes

    @property
    def customer_id(self) -> str | None:
        """The customer this identity is, if it is one (``sub`` cus_…, scope customer)."""
        subject = self.subject
        if subject and subject.startswith(CUSTOMER_PREFIX) and CUSTOMER_SCOPE in self.scopes:
            return subject
        return None

    @property
    def reads_everyone(self) -> bool:
        """Staff and peer services read every customer's rows."""
        return self.is_service or bool(self.scopes & STAFF_READ_SCOPES)

    def may_see(self, customer_id: str) -> bool:
        """Whether rows owned by ``customer_id`` may be shown to this identity."""
        return self.reads_everyone or (
            self.customer_id is not None and self.customer_id == customer_id
        )

    def owner_filter(self) -> str | None:
        """For lists: None means every row; otherwise only this customer's rows ("" for an
        identity that owns nothing, which matches no row: ids are never empty)."""
        if self.reads_everyone:
            return None
        return self.customer_id or ""

    def narrow(self, requested: str | None) -> str | None:
        """A list's customer filter: ``requested`` for staff; a customer's own id otherwise
        (another customer's id, or none for an anonymous caller, matches no row)."""
        owner = self.owner_filter()
        if owner is None:
            return requested
        if requested is not None and requested != owner:
            return ""
        return owner

    def has_any(self, scopes: Iterable[str]) -> bool:
        return self.is_service or ADMIN_SCOPE in self.scopes or bool(self.scopes & set(scopes))

    def require(
        self, operation: str, *, staff: Iterable[str] = (), owner: str | None = None
    ) -> None:
        """FORBIDDEN unless the caller is a service, admin, holds one of ``staff`` or is the
        customer ``owner`` (when given)."""
        if self.has_any(staff):
            return
        if owner is not None and self.customer_id is not None and self.customer_id == owner:
            return
        needed = sorted({*staff, ADMIN_SCOPE})
        who = "its own customer or " if owner is not None else ""
        raise Forbidden(f"{operation} needs {who}a scope of: {', '.join(needed)}.")


ANONYMOUS = Identity(caller="router")


class IdentityVerifier:
    """Verifies identity tokens for the service ``audience`` (``token_check``) and remembers
    the identity each proved until it expires: a token costs one check, not one per request."""

    def __init__(
        self,
        audience: str,
        router_keys: Sequence[Ed25519PublicKey],
        service_keys: Mapping[str, Sequence[Ed25519PublicKey]],
        *,
        leeway: float = LEEWAY_SECONDS,
        cache_entries: int = CACHE_ENTRIES,
    ) -> None:
        self.audience = audience
        self._tokens = TokenVerifier(router=router_keys, services=service_keys, leeway=leeway)
        self._remembered: Remembered[Identity] = Remembered(cache_entries, leeway)

    @classmethod
    def from_settings(cls, name: str, router_pem: str, service_json: str) -> IdentityVerifier:
        return cls(name, public_keys_in(router_pem), service_keys_from_json(service_json))

    @property
    def configured(self) -> bool:
        return self._tokens.configured

    def verify(self, token: str | None) -> Identity:
        """The identity ``token`` proves; ``Unauthenticated`` with a short reason otherwise."""
        if token:
            known = self._remembered.get(token, self.audience)
            if known is not None:
                return known
        proved = self._tokens.check(token, self.audience)
        identity = Identity(caller=proved.caller, subject=proved.subject, scopes=proved.scopes)
        assert token is not None  # check() refuses a missing one
        self._remembered.put(token, self.audience, identity, proved.expires_at)
        return identity


async def owner_of(db: RequestDb, model: Any, id: str) -> str | None:
    """The ``customer_id`` of the ``model`` row ``id`` (None if there is none), read as a
    column: no row enters the request's session, so later reads see the mutation's writes."""
    async with db.read() as session:
        owner: str | None = await session.scalar(select(model.customer_id).where(model.id == id))
    return owner
