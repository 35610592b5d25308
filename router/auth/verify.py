"""Verify bearer tokens (PyJWT) into identities; verified tokens are remembered until expiry."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.auth.identity import ANONYMOUS, Identity, scopes_of
from router.auth.jwks import KeySet, Source
from router.errors import UNAUTHENTICATED, RouterError
from router.operation.cache import LruCache

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "HS256", "HS384", "EdDSA")
MAX_TOKEN_BYTES = 8192


class JwksSourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: Path | None = Field(default=None, description="A JWKS file.")
    url: str | None = Field(default=None, description="A JWKS URL, refreshed in the background.")

    @model_validator(mode="after")
    def _one(self) -> JwksSourceConfig:
        if (self.file is None) == (self.url is None):
            raise ValueError("give exactly one of `file` or `url`")
        return self


class AuthenticationConfig(BaseModel):
    """JWT bearer tokens verified against JWKS keys (RS256/ES256/HS256 and more)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    jwks: list[JwksSourceConfig] = Field(
        default_factory=list,
        description="Where the signing keys are; empty: the router verifies no token and every "
        "request is anonymous to its authorization (the header is still propagated by "
        "`headers` rules, as Apollo Router does without its authentication plugin).",
    )
    issuers: list[str] = Field(
        default_factory=list, description="Accepted `iss` values; empty accepts any issuer."
    )
    audiences: list[str] = Field(
        default_factory=list, description="Accepted `aud` values; empty: `aud` is not checked."
    )
    algorithms: list[str] = Field(
        default_factory=lambda: ["RS256", "ES256", "HS256"],
        description="Signature algorithms accepted (`none` never is).",
    )
    leeway_seconds: float = Field(
        default=30.0, ge=0, le=600, description="Clock skew allowed for `exp`, `nbf`, `iat`."
    )
    require_authentication: bool = Field(
        default=False,
        description="Refuse anonymous requests with UNAUTHENTICATED; otherwise they may run "
        "what the schema allows anonymously.",
    )
    header: str = Field(default="authorization", description="The header carrying the token.")
    scope_claim: str = Field(default="scope", description="Claim holding the scopes.")
    refresh_seconds: float = Field(default=300.0, gt=0, description="JWKS URL refresh period.")
    cache_size: int = Field(default=10_000, ge=1, description="Verified tokens remembered.")

    @field_validator("algorithms")
    @classmethod
    def _algorithms(cls, value: list[str]) -> list[str]:
        unknown = [a for a in value if a not in ALGORITHMS]
        if unknown or not value:
            raise ValueError(f"use some of {', '.join(ALGORITHMS)} (not {unknown})")
        return value

    @model_validator(mode="after")
    def _keys_to_require(self) -> AuthenticationConfig:
        if self.require_authentication and not self.jwks:
            raise ValueError("require_authentication needs `jwks` to verify tokens with")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.jwks)


class Verifier:
    """Bearer token in, Identity out; every failure is UNAUTHENTICATED (401)."""

    def __init__(self, config: AuthenticationConfig, keys: KeySet | None = None) -> None:
        self.config = config
        sources = [Source(file=s.file, url=s.url) for s in config.jwks]
        self.keys = keys or KeySet(sources, refresh_seconds=config.refresh_seconds)
        self._verified: LruCache[str, Identity] = LruCache(config.cache_size)
        self.failures = 0  # tokens refused (for metrics)

    async def identify(self, headers: Mapping[str, str]) -> Identity:
        raw = headers.get(self.config.header)
        if raw is None or not self.config.enabled:
            if self.config.require_authentication:
                raise unauthenticated("This API needs a bearer token.", "missing", error=None)
            return ANONYMOUS
        token = _bearer(raw)
        cached = self._verified.get(token)
        now = time.time()
        if cached is not None and (cached.expires_at or 0) + self.config.leeway_seconds > now:
            return cached
        try:
            identity = await self._verify(token)
        except RouterError:
            self.failures += 1
            raise
        self._verified.put(token, identity)
        return identity

    async def _verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated("The bearer token is not a JWT.", "malformed") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.config.algorithms:
            raise unauthenticated(f"Tokens signed with {alg!r} are not accepted.", "algorithm")
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        candidates = self.keys.find(kid, alg)
        if not candidates and await self.keys.refresh_for_unknown_kid():
            candidates = self.keys.find(kid, alg)
        if not candidates:
            raise unauthenticated(
                "The token was not signed by a key this router trusts.", "unknown_key"
            )
        claims = self._decode(token, alg, candidates)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise unauthenticated("The token has no subject (`sub`).", "claims")
        exp = claims.get("exp")
        expires_at = float(exp) if isinstance(exp, (int, float)) else None
        issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else None
        return Identity(
            subject, scopes_of(claims, self.config.scope_claim), issuer, claims, expires_at
        )

    def _decode(self, token: str, alg: str, candidates: list[Any]) -> dict[str, Any]:
        config = self.config
        last: Exception | None = None
        for candidate in candidates:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    candidate.key,
                    algorithms=[alg],
                    audience=config.audiences or None,
                    issuer=config.issuers or None,
                    leeway=config.leeway_seconds,
                    options={"require": ["exp"], "verify_aud": bool(config.audiences)},
                )
                return claims
            except jwt.InvalidSignatureError as exc:
                last = exc  # maybe the next key with this kid
            except jwt.MissingRequiredClaimError as exc:
                message = f"The token has no `{exc.claim}` claim."
                raise unauthenticated(message, "claims") from None
            except jwt.PyJWTError as exc:
                message, reason = _explain(exc)
                raise unauthenticated(message, reason) from None
        del last
        raise unauthenticated("The token's signature does not verify.", "signature")


_EXPLAINED: tuple[tuple[type[jwt.PyJWTError], str, str], ...] = (
    (jwt.ExpiredSignatureError, "The token has expired.", "expired"),
    (jwt.ImmatureSignatureError, "The token is not valid yet (`nbf`/`iat`).", "not_yet_valid"),
    (jwt.InvalidAudienceError, "The token is not for this API (`aud`).", "audience"),
    (jwt.InvalidIssuerError, "The token's issuer is not trusted (`iss`).", "issuer"),
)


def _explain(exc: jwt.PyJWTError) -> tuple[str, str]:
    for kind, message, reason in _EXPLAINED:
        if isinstance(exc, kind):
            return message, reason
    return "The bearer token is malformed.", "malformed"


def _bearer(raw: str) -> str:
    scheme, _, token = raw.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthenticated("Send the token as `Authorization: Bearer <token>`.", "malformed")
    if len(token) > MAX_TOKEN_BYTES:
        raise unauthenticated(
            f"The bearer token is longer than {MAX_TOKEN_BYTES} bytes.", "malformed"
        )
    return token


def unauthenticated(
    description: str, reason: str, *, error: str | None = "invalid_token"
) -> RouterError:
    """HTTP 401 with a WWW-Authenticate challenge (RFC 6750); never echoes the token.

    ``reason`` (one of a few words: expired, signature, issuer…) goes to
    ``extensions.reason`` and the JWT-failure metric."""
    challenge = 'Bearer realm="switchboard"'
    if error is not None:
        safe = description.replace('"', "'")
        challenge += f', error="{error}", error_description="{safe}"'
    return RouterError(
        UNAUTHENTICATED,
        description,
        headers={"www-authenticate": challenge},
        extensions={"reason": reason},
    )
