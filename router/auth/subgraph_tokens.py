"""Tokens the router signs for subgraphs: "this request comes from the router, for this identity".

Every subgraph request carries ``X-Switchboard-Identity: <JWT>``, signed with the router's
Ed25519 key (EdDSA), which subgraphs verify with the router's public key:

    header  {"alg": "EdDSA", "typ": "JWT", "kid": "<key id>"}
    claims  {"iss": "switchboard-router", "aud": "<subgraph name>", "iat": …, "exp": iat + ttl,
             "sub": "<subject>" (absent: anonymous), "scope": "<space-separated scopes>"}

A token is for one subgraph (``aud``), lives ``ttl_seconds`` (120 by default) and is reused
for the same identity and subgraph for half of that, so signing costs one operation per
identity per subgraph per minute, not one per request.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.auth.identity import Identity
from router.operation.cache import LruCache

HEADER = "x-switchboard-identity"
ISSUER = "switchboard-router"


class SubgraphAuthConfig(BaseModel):
    """The router's signing key for subgraph requests (subgraphs refuse unsigned requests)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    private_key: str | None = Field(
        default=None,
        description="The router's Ed25519 private key, PEM (set it from a secret: "
        "`SWITCHBOARD_ROUTER_SUBGRAPH_AUTH__PRIVATE_KEY`).",
    )
    private_key_file: Path | None = Field(default=None, description="…or a file holding it (PEM).")
    ttl_seconds: int = Field(default=120, ge=10, le=3600, description="Life of one token.")

    @model_validator(mode="after")
    def _one(self) -> SubgraphAuthConfig:
        if self.private_key is not None and self.private_key_file is not None:
            raise ValueError("give `private_key` or `private_key_file`, not both")
        return self

    def load_key(self) -> Ed25519PrivateKey | None:
        pem = self.private_key
        if self.private_key_file is not None:
            pem = self.private_key_file.read_text()
        if pem is None:
            return None
        pem = pem.replace("\\n", "\n")  # one line in an env var: `\n` for line breaks
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the subgraph signing key must be an Ed25519 private key")
        return key


def key_id(key: Ed25519PrivateKey) -> str:
    """A short id of the public half, so subgraphs can hold several keys during a rotation."""
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(public).hexdigest()[:16]


class SubgraphSigner:
    def __init__(self, key: Ed25519PrivateKey, ttl_seconds: int = 120) -> None:
        self.key = key
        self.kid = key_id(key)
        self.ttl = ttl_seconds
        self._tokens: LruCache[tuple[object, str], tuple[str, float]] = LruCache(50_000)

    def token(self, identity: Identity, subgraph: str) -> str:
        cache_key = (identity.key, subgraph)
        now = time.time()
        found = self._tokens.get(cache_key)
        if found is not None and found[1] > now:
            return found[0]
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": subgraph,
            "iat": int(now),
            "exp": int(now) + self.ttl,
        }
        if identity.subject is not None:
            claims["sub"] = identity.subject
        if identity.scopes:
            claims["scope"] = " ".join(sorted(identity.scopes))
        token = jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})
        self._tokens.put(cache_key, (token, now + self.ttl / 2))
        return token
