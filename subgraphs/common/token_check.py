"""The one check of the identity tokens a subgraph accepts: the router's and its peers'.

Both are EdDSA JWTs in ``X-Switchboard-Identity``: the router's (``iss:
"switchboard-router"``) say for whom it asks; a peer service's (``iss:
"switchboard-service:<name>"``, ``scope: "service"``) say which service calls.
``TokenVerifier.check`` accepts a token only if

- its ``alg`` is ``EdDSA`` (never ``none``, never an HMAC keyed with a public key);
- its ``iss`` is the router or a service this one holds keys of, and its ``kid`` (when it
  has one) names a key of that issuer: one issuer's key never speaks for another;
- the signature verifies with a key of that issuer, ``aud`` is this service (one string),
  ``exp``, ``iat`` and ``iss`` are present and it has not expired (5 seconds of leeway);
- a service's token is scoped ``service`` and was not made to live longer than 5 minutes.

Otherwise it raises ``TokenRefused`` with a one-word ``reason`` (``missing``, ``malformed``,
``algorithm``, ``issuer``, ``unknown_key``, ``signature``, ``expired``, ``audience``,
``scope``, ``lifetime``). ``Remembered`` keeps what accepted tokens proved until they expire,
bounded, so a token reused for a minute is checked once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .keys import key_id

ROUTER = "router"
ROUTER_ISSUER = "switchboard-router"
SERVICE_ISSUER_PREFIX = "switchboard-service:"
SERVICE_SCOPE = "service"
LEEWAY_SECONDS = 5  # clock skew between two machines
MAX_SERVICE_LIFETIME_SECONDS = 300
MAX_TOKEN_BYTES = 8 * 1024

MESSAGES = {
    "missing": "send an identity token in X-Switchboard-Identity",
    "malformed": "the token is not an acceptable JWT",
    "algorithm": "identity tokens are signed with EdDSA only",
    "issuer": "the token's issuer is not trusted here",
    "unknown_key": "no trusted key of the token's issuer has this key id",
    "signature": "the token's signature does not verify",
    "expired": "the token has expired",
    "audience": "the token is not for this service",
    "scope": f"a service's token is scoped {SERVICE_SCOPE!r}",
    "lifetime": "the token is meant to live too long",
}


class TokenRefused(Exception):
    """A token that is missing or not acceptable; ``reason`` says why, in one word."""

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message or MESSAGES.get(reason, reason))
        self.reason = reason


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What an accepted token proves."""

    caller: str  # ROUTER, or the calling service's name
    subject: str | None
    scopes: frozenset[str]
    expires_at: int


class TokenVerifier:
    """Checks tokens against the router's keys and each peer service's, by key id."""

    def __init__(
        self,
        *,
        router: Sequence[Ed25519PublicKey] = (),
        services: Mapping[str, Sequence[Ed25519PublicKey]] | None = None,
        leeway: float = LEEWAY_SECONDS,
    ) -> None:
        keys = {name: found for name, found in (services or {}).items() if name != ROUTER}
        keys[ROUTER] = router  # a service named "router" cannot sign as the router
        self._keys = {caller: {key_id(k): k for k in found} for caller, found in keys.items()}
        self.leeway = leeway

    @property
    def configured(self) -> bool:
        return any(self._keys.values())

    def check(self, token: str | None, audience: str) -> VerifiedToken:
        """What ``token`` proves for the service ``audience``; ``TokenRefused`` otherwise."""
        if not token:
            raise TokenRefused("missing")
        if len(token) > MAX_TOKEN_BYTES:
            raise TokenRefused("malformed")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise TokenRefused("malformed") from None
        if header.get("alg") != "EdDSA":
            raise TokenRefused("algorithm")
        issuer = unverified.get("iss")
        caller = self._caller(issuer)
        claims = self._verified_claims(token, self._candidates(caller, header), audience, issuer)
        return _proved(caller, claims)

    def _caller(self, issuer: object) -> str:
        if issuer == ROUTER_ISSUER and self._keys[ROUTER]:
            return ROUTER
        if isinstance(issuer, str) and issuer.startswith(SERVICE_ISSUER_PREFIX):
            caller = issuer.removeprefix(SERVICE_ISSUER_PREFIX)
            if caller == ROUTER:
                raise TokenRefused("issuer")
            if not self._keys.get(caller):
                raise TokenRefused("unknown_key")
            return caller
        raise TokenRefused("issuer")

    def _candidates(self, caller: str, header: dict[str, Any]) -> list[Ed25519PublicKey]:
        """The key the ``kid`` names, or every key of the issuer for a token without one."""
        keys, kid = self._keys[caller], header.get("kid")
        if kid is None:
            return list(keys.values())
        key = keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenRefused("unknown_key")
        return [key]

    def _verified_claims(
        self, token: str, keys: list[Ed25519PublicKey], audience: str, issuer: object
    ) -> dict[str, Any]:
        for key in keys:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=["EdDSA"],
                    audience=audience,
                    issuer=str(issuer),
                    leeway=self.leeway,
                    options={"require": ["exp", "iat", "iss", "aud"], "strict_aud": True},
                )
                return claims
            except jwt.InvalidSignatureError:
                continue
            except jwt.ExpiredSignatureError:
                raise TokenRefused("expired") from None
            except jwt.InvalidAudienceError:
                raise TokenRefused("audience") from None
            except jwt.PyJWTError:
                raise TokenRefused("malformed") from None
        raise TokenRefused("signature")


def _proved(caller: str, claims: dict[str, Any]) -> VerifiedToken:
    scope, subject = claims.get("scope", ""), claims.get("sub")
    if not isinstance(scope, str) or not (subject is None or isinstance(subject, str)):
        raise TokenRefused("malformed")
    scopes = frozenset(scope.split())
    expires, issued = int(claims["exp"]), int(claims["iat"])  # PyJWT checked both are numbers
    if caller != ROUTER:
        if SERVICE_SCOPE not in scopes:
            raise TokenRefused("scope")
        if expires - issued > MAX_SERVICE_LIFETIME_SECONDS:
            raise TokenRefused("lifetime")
    return VerifiedToken(caller=caller, subject=subject, scopes=scopes, expires_at=expires)


V = TypeVar("V")


class Remembered(Generic[V]):
    """What accepted tokens proved, each until it expires (plus the leeway); at most
    ``limit`` entries: when full, expired ones go first, then the oldest."""

    def __init__(self, limit: int, leeway: float = LEEWAY_SECONDS) -> None:
        self.limit = limit
        self.leeway = leeway
        self._entries: dict[tuple[str, str], tuple[V, float]] = {}

    def get(self, token: str, audience: str) -> V | None:
        found = self._entries.get((token, audience))
        if found is None:
            return None
        if found[1] + self.leeway <= time.time():
            del self._entries[(token, audience)]
            return None
        return found[0]

    def put(self, token: str, audience: str, value: V, expires_at: float) -> None:
        if len(self._entries) >= self.limit:
            now = time.time()
            for entry, (_, expires) in list(self._entries.items()):
                if expires + self.leeway <= now:
                    del self._entries[entry]
            while len(self._entries) >= self.limit:
                del self._entries[next(iter(self._entries))]
        self._entries[(token, audience)] = (value, expires_at)
