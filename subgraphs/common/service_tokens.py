"""Tokens services sign when they call each other, and the check a callee makes of them.

A service calling a peer (orders → invoices, subscriptions → invoices, invoices →
customers, …) sends ``X-Switchboard-Identity: <JWT>``, signed with its own Ed25519 key
(``<SERVICE>_SERVICE_PRIVATE_KEY``, PEM):

    header  {"alg": "EdDSA", "typ": "JWT", "kid": "<first 16 hex of SHA-256 of the public key>"}
    claims  {"iss": "switchboard-service:<caller>", "aud": "<callee>", "scope": "service",
             "iat": …, "exp": iat + 120}

A token is for one callee and is reused until half its life is gone, so signing costs one
operation per peer per minute. The callee checks it with ``verify_service_token`` against
the public keys it trusts, one set per calling service (``<SERVICE>_SERVICE_PUBLIC_KEYS``, a
JSON object name → PEM): the key must belong to the service the token names as its issuer,
so one service's key cannot speak for another.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .settings import SubgraphSettings

HEADER = "X-Switchboard-Identity"
ISSUER_PREFIX = "switchboard-service:"
SCOPE = "service"
TTL_SECONDS = 120
MAX_LIFETIME_SECONDS = 300  # a callee refuses tokens meant to live longer than this
LEEWAY_SECONDS = 5  # clock skew between two machines
_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)

logger = logging.getLogger("switchboard.service_tokens")


def key_id(public: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key (as the router's ``kid``)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(pem: str) -> Ed25519PrivateKey:
    problem = "a service signing key must be an Ed25519 private key (PEM, unencrypted)"
    try:
        one_line = pem.replace("\\n", "\n")  # one line in an env file: `\n` for line breaks
        key = serialization.load_pem_private_key(one_line.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError(problem) from None  # the key's text is never repeated
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(problem)
    return key


class ServiceSigner:
    """Signs this service's tokens, one cached token per callee."""

    def __init__(
        self,
        service: str,
        key: Ed25519PrivateKey,
        *,
        ttl_seconds: int = TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.issuer = ISSUER_PREFIX + service
        self.kid = key_id(key.public_key())
        self._key = key
        self._ttl = ttl_seconds
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}  # callee → (token, renew after)

    def token(self, audience: str) -> str:
        now = self._clock()
        found = self._tokens.get(audience)
        if found is not None and now < found[1]:
            return found[0]
        issued = int(now)
        claims = {
            "iss": self.issuer,
            "aud": audience,
            "scope": SCOPE,
            "iat": issued,
            "exp": issued + self._ttl,
        }
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})
        self._tokens[audience] = (token, issued + self._ttl / 2)
        return token

    def headers(self, audience: str) -> dict[str, str]:
        return {HEADER: self.token(audience)}


def signer_for(settings: SubgraphSettings) -> ServiceSigner | None:
    """The service's signer; None (and a warning) if it has no key: its peers will refuse it."""
    pem = settings.service_private_key.get_secret_value()
    if not pem:
        logger.warning(
            "%s has no service key (%s_SERVICE_PRIVATE_KEY): its calls to other services carry "
            "no identity and are refused",
            settings.name,
            settings.name.upper(),
        )
        return None
    return ServiceSigner(settings.name, load_private_key(pem))


def signed_headers(signer: ServiceSigner | None, audience: str) -> dict[str, str]:
    """The identity header for a call to ``audience``, if this service can sign."""
    return signer.headers(audience) if signer is not None else {}


# The callee's side --------------------------------------------------------------------------


class ServiceTokenError(Exception):
    """A service token that is missing or not acceptable; ``reason`` says why, in one word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ServiceCaller:
    """A verified caller: which service, until when its token holds."""

    service: str
    scopes: frozenset[str]
    expires_at: int


class ServicePublicKeys:
    """Public keys a callee trusts, by calling service and key id (several during a rotation)."""

    REMEMBERED = 10_000  # accepted tokens kept, so a token reused for a minute verifies once

    def __init__(self, keys: Mapping[str, Sequence[Ed25519PublicKey]]) -> None:
        self._keys = {
            service: {key_id(key): key for key in found} for service, found in keys.items()
        }
        self._accepted: dict[tuple[str, str], ServiceCaller] = {}

    def remembered(self, token: str, audience: str) -> ServiceCaller | None:
        """The caller of a token accepted before for ``audience``, while it is valid."""
        found = self._accepted.get((token, audience))
        if found is not None and found.expires_at + LEEWAY_SECONDS <= time.time():
            del self._accepted[(token, audience)]
            return None
        return found

    def remember(self, token: str, audience: str, caller: ServiceCaller) -> None:
        if len(self._accepted) >= self.REMEMBERED:
            now = time.time()
            for entry, known in list(self._accepted.items()):
                if known.expires_at + LEEWAY_SECONDS <= now:
                    del self._accepted[entry]
            while len(self._accepted) >= self.REMEMBERED:
                del self._accepted[next(iter(self._accepted))]
        self._accepted[(token, audience)] = caller

    @classmethod
    def from_pems(cls, pems: Mapping[str, str | Sequence[str]]) -> ServicePublicKeys:
        """``{"orders": PEM, …}``; a value may hold several PEM blocks, or be a list of them."""
        keys: dict[str, list[Ed25519PublicKey]] = {}
        for service, value in pems.items():
            texts = [value] if isinstance(value, str) else list(value)
            blocks = [block for text in texts for block in _PEM_BLOCK.findall(text)]
            keys[service] = [_public_key(block, service) for block in blocks]
        return cls(keys)

    @classmethod
    def from_json(cls, raw: str) -> ServicePublicKeys:
        """The ``<SERVICE>_SERVICE_PUBLIC_KEYS`` setting: a JSON object name → PEM (or list)."""
        if not raw.strip():
            return cls({})
        parsed = json.loads(raw)
        if not isinstance(parsed, dict):
            raise ValueError("service public keys: a JSON object of service name → PEM")
        return cls.from_pems(parsed)

    def key(self, service: str, kid: str | None) -> Ed25519PublicKey | None:
        found = self._keys.get(service, {})
        if kid is None:
            return None
        return found.get(kid)

    @property
    def services(self) -> frozenset[str]:
        return frozenset(name for name, keys in self._keys.items() if keys)


def _public_key(pem: str, service: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"the public key of {service!r} is not an Ed25519 key")
    return key


def verify_service_token(
    token: str | None,
    audience: str,
    public_keys: ServicePublicKeys | Mapping[str, str | Sequence[str]],
) -> ServiceCaller:
    """The caller a service token proves, for a callee named ``audience``.

    Raises ``ServiceTokenError`` (reason ``missing``, ``malformed``, ``algorithm``,
    ``issuer``, ``unknown_key``, ``signature``, ``expired``, ``audience``, ``scope`` or
    ``lifetime``) unless the token is an EdDSA JWT signed by a key of the service its
    ``iss`` names, for ``audience``, with ``exp`` and ``iat``, not expired and scoped
    ``service``. ``public_keys`` is best a ``ServicePublicKeys`` built once (e.g. from
    ``<SERVICE>_SERVICE_PUBLIC_KEYS`` with ``from_json``); a mapping of PEMs is parsed on
    every call.
    """
    keys = public_keys if isinstance(public_keys, ServicePublicKeys) else (
        ServicePublicKeys.from_pems(public_keys)
    )  # fmt: skip
    if not token:
        raise ServiceTokenError("missing", f"send a service token in {HEADER}")
    known = keys.remembered(token, audience)
    if known is not None:
        return known
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise ServiceTokenError("malformed", "the service token is not a JWT") from exc
    if header.get("alg") != "EdDSA":
        raise ServiceTokenError("algorithm", "service tokens are signed with EdDSA only")
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer.startswith(ISSUER_PREFIX):
        raise ServiceTokenError("issuer", "the token is not a service token")
    caller = issuer.removeprefix(ISSUER_PREFIX)
    kid = header.get("kid")
    key = keys.key(caller, kid if isinstance(kid, str) else None)
    if key is None:
        raise ServiceTokenError("unknown_key", f"no trusted key of {caller!r} with this key id")
    claims = _decode(token, key, audience, issuer)
    scopes = frozenset(str(claims.get("scope", "")).split())
    if SCOPE not in scopes:
        raise ServiceTokenError("scope", f"the token is not scoped {SCOPE!r}")
    if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME_SECONDS:
        raise ServiceTokenError("lifetime", "the token is meant to live too long")
    verified = ServiceCaller(service=caller, scopes=scopes, expires_at=int(claims["exp"]))
    keys.remember(token, audience, verified)
    return verified


def _decode(token: str, key: Ed25519PublicKey, audience: str, issuer: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ServiceTokenError("expired", "the service token has expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise ServiceTokenError("audience", f"the token is not for {audience!r}") from exc
    except jwt.InvalidSignatureError as exc:
        raise ServiceTokenError("signature", "the token's signature does not verify") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise ServiceTokenError("malformed", f"the token has no {exc.claim!r} claim") from exc
    except jwt.PyJWTError as exc:
        raise ServiceTokenError("malformed", f"the token is not acceptable: {exc}") from exc
    return claims
