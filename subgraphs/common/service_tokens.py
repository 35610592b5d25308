"""Tokens services sign when they call each other, and the check a callee makes of them.

A service calling a peer (orders → invoices, subscriptions → invoices, invoices →
customers, …) sends ``X-Switchboard-Identity: <JWT>``, signed with its own Ed25519 key
(``<SERVICE>_SERVICE_PRIVATE_KEY``, PEM):

    header  {"alg": "EdDSA", "typ": "JWT", "kid": "<first 16 hex of SHA-256 of the public key>"}
    claims  {"iss": "switchboard-service:<caller>", "aud": "<callee>", "scope": "service",
             "iat": …, "exp": iat + 120}

A token is for one callee and is reused until half its life is gone, so signing costs one
operation per peer per minute. The callee checks it against the public keys it trusts, one
set per calling service (``<SERVICE>_SERVICE_PUBLIC_KEYS``, a JSON object name → PEM): the
key must belong to the service the token names as its issuer, so one service's key cannot
speak for another. The check is ``token_check``'s, the one every subgraph request passes
(``identity``); ``verify_service_token`` is it for peers' tokens alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .keys import key_id as key_id  # the callers' and the deploy tools' import of them
from .keys import load_private_key as load_private_key
from .keys import service_keys, service_keys_from_json
from .settings import SubgraphSettings
from .token_check import (
    SERVICE_ISSUER_PREFIX,
    SERVICE_SCOPE,
    Remembered,
    TokenRefused,
    TokenVerifier,
)

HEADER = "X-Switchboard-Identity"
ISSUER_PREFIX = SERVICE_ISSUER_PREFIX
SCOPE = SERVICE_SCOPE
TTL_SECONDS = 120

logger = logging.getLogger("switchboard.service_tokens")


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

ServiceTokenError = TokenRefused  # ``reason`` in one word; raised by verify_service_token


@dataclass(frozen=True, slots=True)
class ServiceCaller:
    """A verified caller: which service, until when its token holds."""

    service: str
    scopes: frozenset[str]
    expires_at: int


class ServicePublicKeys:
    """Public keys a callee trusts, by calling service and key id (several during a rotation),
    and the tokens it accepted (``REMEMBERED`` of them, each until it expires)."""

    REMEMBERED = 10_000

    def __init__(self, keys: Mapping[str, Sequence[Ed25519PublicKey]]) -> None:
        self.verifier = TokenVerifier(services=keys)  # no router keys: its tokens are refused
        self._accepted: Remembered[ServiceCaller] = Remembered(self.REMEMBERED)

    def remembered(self, token: str, audience: str) -> ServiceCaller | None:
        """The caller of a token accepted before for ``audience``, while it is valid."""
        return self._accepted.get(token, audience)

    def remember(self, token: str, audience: str, caller: ServiceCaller) -> None:
        self._accepted.put(token, audience, caller, caller.expires_at)

    @classmethod
    def from_pems(cls, pems: Mapping[str, str | Sequence[str]]) -> ServicePublicKeys:
        """``{"orders": PEM, …}``; a value may hold several PEM blocks, or be a list of them."""
        return cls({name: service_keys(name, _listed(value)) for name, value in pems.items()})

    @classmethod
    def from_json(cls, raw: str) -> ServicePublicKeys:
        """The ``<SERVICE>_SERVICE_PUBLIC_KEYS`` setting: a JSON object name → PEM (or list)."""
        return cls(service_keys_from_json(raw))


def _listed(value: str | Sequence[str]) -> str | list[str]:
    return value if isinstance(value, str) else list(value)


def verify_service_token(
    token: str | None,
    audience: str,
    public_keys: ServicePublicKeys | Mapping[str, str | Sequence[str]],
) -> ServiceCaller:
    """The caller a service token proves, for a callee named ``audience``: the check of
    ``token_check`` (the same a subgraph makes of every request), for peers' tokens only.

    Raises ``ServiceTokenError`` (reason ``missing``, ``malformed``, ``algorithm``,
    ``issuer``, ``unknown_key``, ``signature``, ``expired``, ``audience``, ``scope`` or
    ``lifetime``). ``public_keys`` is best a ``ServicePublicKeys`` built once (e.g. from
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
    proved = keys.verifier.check(token, audience)
    caller = ServiceCaller(
        service=proved.caller, scopes=proved.scopes, expires_at=proved.expires_at
    )
    keys.remember(token, audience, caller)
    return caller
