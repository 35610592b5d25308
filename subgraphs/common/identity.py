"""Who is asking: the signed identity every ``/graphql`` request to a subgraph must carry.

A request comes either from the router, with ``X-Switchboard-Identity`` signed by the router's
Ed25519 key (``iss: "switchboard-router"``, ``aud``: this service), or from a peer service,
with a token signed by that service's key (``iss: "switchboard-service:<caller>"``, ``aud``:
this service, ``scope: "service"``). Anything else is refused with HTTP 401 and
``UNAUTHENTICATED``, before GraphQL sees the body: ``_service``, ``_entities`` and every
operation alike. Without keys configured, every request is refused (secure by default).

``Identity`` then answers the ownership questions resolvers ask: may this request see a
customer's rows, which rows may a list show, may it act on a customer's record.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from .db import RequestDb
from .errors import Forbidden

HEADER = "x-switchboard-identity"
ROUTER_ISSUER = "switchboard-router"
SERVICE_ISSUER_PREFIX = "switchboard-service:"
SERVICE_SCOPE = "service"
CUSTOMER_SCOPE = "customer"
CUSTOMER_PREFIX = "cus_"
LEEWAY_SECONDS = 5
MAX_TOKEN_BYTES = 8 * 1024
CACHE_ENTRIES = 10_000

# Staff scopes that read every customer's data (docs/security.md, identities).
STAFF_READ_SCOPES = frozenset(
    {"support:read", "support:write", "billing:write", "refunds:write", "admin"}
)
ADMIN_SCOPE = "admin"


class Unauthenticated(Exception):
    """The request carries no valid identity token; ``reason`` is short and safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def load_public_keys(pem_text: str) -> list[Ed25519PublicKey]:
    """Every Ed25519 public key in ``pem_text`` (several PEM blocks during a rotation)."""
    keys: list[Ed25519PublicKey] = []
    marker = "-----END PUBLIC KEY-----"
    pem_text = pem_text.replace("\\n", "\n")  # one line in an env file: `\n` for line breaks
    for block in pem_text.split(marker):
        if "-----BEGIN PUBLIC KEY-----" not in block:
            continue
        key = serialization.load_pem_public_key((block.strip() + "\n" + marker + "\n").encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("identity keys must be Ed25519 public keys (PEM)")
        keys.append(key)
    return keys


def load_service_keys(text: str) -> dict[str, list[Ed25519PublicKey]]:
    """``{"orders": "<PEM>", …}`` (JSON) → each peer service's public keys."""
    if not text.strip():
        return {}
    value = json.loads(text)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError("service public keys must be a JSON object: service name → PEM")
    return {str(name): load_public_keys(pem) for name, pem in value.items()}


class IdentityVerifier:
    """Verifies identity tokens for the service ``audience``; remembers each verified token
    until it expires, so a token costs one signature check, not one per request."""

    def __init__(
        self,
        audience: str,
        router_keys: list[Ed25519PublicKey],
        service_keys: Mapping[str, list[Ed25519PublicKey]],
        *,
        leeway: float = LEEWAY_SECONDS,
        cache_entries: int = CACHE_ENTRIES,
    ) -> None:
        self.audience = audience
        self._router_keys = router_keys
        self._service_keys = dict(service_keys)
        self._leeway = leeway
        self._cache: OrderedDict[str, tuple[Identity, float]] = OrderedDict()
        self._cache_entries = cache_entries

    @classmethod
    def from_settings(cls, name: str, router_pem: str, service_json: str) -> IdentityVerifier:
        return cls(name, load_public_keys(router_pem), load_service_keys(service_json))

    @property
    def configured(self) -> bool:
        return bool(self._router_keys) or any(self._service_keys.values())

    def verify(self, token: str | None) -> Identity:
        """The identity ``token`` proves; ``Unauthenticated`` with a short reason otherwise."""
        if not token:
            raise Unauthenticated("missing")
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None:
            if cached[1] + self._leeway > now:
                self._cache.move_to_end(token)
                return cached[0]
            del self._cache[token]
        if len(token) > MAX_TOKEN_BYTES:
            raise Unauthenticated("malformed")
        identity, expires = self._decode(token)
        self._cache[token] = (identity, expires)
        if len(self._cache) > self._cache_entries:
            self._cache.popitem(last=False)
        return identity

    def _decode(self, token: str) -> tuple[Identity, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("malformed") from None
        if header.get("alg") != "EdDSA":
            raise Unauthenticated("algorithm")
        issuer = unverified.get("iss")
        caller, keys = self._keys_of(issuer)
        claims = self._check_signature(token, keys, issuer)
        scopes = claims.get("scope", "")
        if not isinstance(scopes, str):
            raise Unauthenticated("claims")
        subject = claims.get("sub")
        if subject is not None and not isinstance(subject, str):
            raise Unauthenticated("claims")
        identity = Identity(caller=caller, subject=subject, scopes=frozenset(scopes.split()))
        if caller != "router" and not identity.is_service:
            raise Unauthenticated("scope")
        expires = claims["exp"]
        assert isinstance(expires, (int, float))  # PyJWT checked it is a number
        return identity, float(expires)

    def _keys_of(self, issuer: object) -> tuple[str, list[Ed25519PublicKey]]:
        if issuer == ROUTER_ISSUER:
            return "router", self._router_keys
        if isinstance(issuer, str) and issuer.startswith(SERVICE_ISSUER_PREFIX):
            caller = issuer.removeprefix(SERVICE_ISSUER_PREFIX)
            if caller in self._service_keys and caller != "router":
                return caller, self._service_keys[caller]
        raise Unauthenticated("issuer")

    def _check_signature(
        self, token: str, keys: list[Ed25519PublicKey], issuer: object
    ) -> dict[str, object]:
        failure = "signature"
        for key in keys:
            try:
                claims: dict[str, object] = jwt.decode(
                    token,
                    key,
                    algorithms=["EdDSA"],
                    audience=self.audience,
                    issuer=str(issuer),
                    leeway=self._leeway,
                    options={"require": ["exp", "iat", "iss", "aud"], "strict_aud": True},
                )
                return claims
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                failure = "expired"
            except jwt.InvalidAudienceError:
                failure = "audience"
            except jwt.PyJWTError:
                failure = "claims"
            break
        raise Unauthenticated(failure)


async def owner_of(db: RequestDb, model: Any, id: str) -> str | None:
    """The ``customer_id`` of the ``model`` row ``id`` (None if there is none), read as a
    column: no row enters the request's session, so later reads see the mutation's writes."""
    async with db.read() as session:
        owner: str | None = await session.scalar(select(model.customer_id).where(model.id == id))
    return owner
