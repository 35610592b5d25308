"""Keys and tokens for tests: one set per test process, made with ``switchboard.devkeys``.

Subgraphs refuse every ``/graphql`` request without a token signed by the router (or a peer
service), so every process a test starts is given these keys (``subgraph_env``, ``router_defaults``)
and every direct call to a subgraph carries a router token (``identity_headers``). Routers
trust ``jwks_file`` (the same key as ``DevKeys.jwks``, without the development marker, so a
production-mode router accepts it too) for the user tokens ``user_token`` signs.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from router.auth.jwks import DEV_MARKER
from router.auth.subgraph_tokens import ISSUER as ROUTER_ISSUER
from router.auth.subgraph_tokens import key_id
from subgraphs.registry import SERVICES
from switchboard.devkeys import DEV_ISSUER, DevKeys

HEADER = "X-Switchboard-Identity"
ADMIN = ("admin",)
TOKEN_SECONDS = 24 * 3600  # tests may run long; the subgraph checks exp all the same


_KEYS_LOCK = threading.Lock()


@cache
def keys() -> DevKeys:
    # Routers are started from thread pools: without the lock two threads may each generate
    # a set, and a router would trust one set's JWKS while tokens are signed with the other.
    with _KEYS_LOCK:
        return _generated()


@cache
def _generated() -> DevKeys:
    return DevKeys.generate(Path(tempfile.mkdtemp(prefix="switchboard-test-keys-")), SERVICES)


@cache
def jwks_file() -> Path:
    """The test identity provider's JWKS, not marked as a development key."""
    data = json.loads(keys().jwks.read_text())
    for entry in data["keys"]:
        entry.pop(DEV_MARKER, None)
    path = keys().folder / "test-jwks.json"
    path.write_text(json.dumps(data))
    return path


def subgraph_env() -> dict[str, str]:
    """What every subgraph process is told: the router's public key and the service keys."""
    return keys().environment(list(SERVICES))


def router_defaults() -> dict[str, Any]:
    """router.yaml settings a test router gets unless its config sets them itself."""
    return {
        "subgraph_auth": {"private_key_file": str(keys().router_key)},
        "authentication": {"jwks": [{"file": str(jwks_file())}], "issuers": [DEV_ISSUER]},
    }


@cache
def _router_key() -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(keys().router_key.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def router_token(
    audience: str,
    *,
    subject: str | None = None,
    scopes: Iterable[str] = ADMIN,
    seconds: int = TOKEN_SECONDS,
    key: Ed25519PrivateKey | None = None,
    issuer: str = ROUTER_ISSUER,
) -> str:
    """A token as the router signs it for ``audience`` (a subgraph name)."""
    signing = key or _router_key()
    now = int(time.time())
    claims: dict[str, object] = {"iss": issuer, "aud": audience, "iat": now, "exp": now + seconds}
    if subject is not None:
        claims["sub"] = subject
    scope = " ".join(scopes)
    if scope:
        claims["scope"] = scope
    return jwt.encode(claims, signing, algorithm="EdDSA", headers={"kid": key_id(signing)})


def identity_headers(
    audience: str, *, subject: str | None = None, scopes: Iterable[str] = ADMIN
) -> dict[str, str]:
    """Headers of a request the router sends to ``audience`` for this identity."""
    return {HEADER: router_token(audience, subject=subject, scopes=scopes)}


def customer_headers(audience: str, customer_id: str) -> dict[str, str]:
    return identity_headers(audience, subject=customer_id, scopes=["customer"])


def user_token(subject: str = "staff-test", scopes: Iterable[str] = ADMIN) -> str:
    """A bearer token of the test identity provider, which test routers trust."""
    return keys().token(subject, list(scopes))


def bearer(subject: str = "staff-test", scopes: Iterable[str] = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {user_token(subject, scopes)}"}


def customer_bearer(customer_id: str) -> dict[str, str]:
    return bearer(customer_id, ["customer"])
