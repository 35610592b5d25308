"""Stage 2, identify: who is calling (the client key), and whether they may call right now.

The client key picks the rate-limit bucket: the verified token's subject when there is one,
else the peer address, or a configured header.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from router.auth.identity import Identity
from router.errors import RATE_LIMITED, RouterError
from router.operation.context import HttpRequest
from router.operation.ratelimit import Limiter, retry_after

if TYPE_CHECKING:
    from router.operation.settings import Security
    from router.telemetry import Telemetry


async def identify(
    http: HttpRequest,
    scratch: dict[str, Any],
    security: Security,
    rule: str,
    telemetry: Telemetry,
) -> Identity:
    """The verified caller (anonymous without a token), kept in the plugins' ``context``;
    a bad token or an empty rate-limit bucket refuses the request."""
    verifier = security.verifier
    try:
        identity = await verifier.identify(http.headers) if verifier else Identity()
    except RouterError as error:
        telemetry.jwt_failure(str((error.extensions or {}).get("reason", "other")))
        raise
    scratch["identity"] = identity
    if security.limiter is not None:
        await rate_limit(security.limiter, client_key(http, rule, identity.subject))
    return identity


def client_key(http: HttpRequest, rule: str, subject: str | None = None) -> str:
    if rule == "subject" and subject:
        return f"sub:{subject}"
    if rule.startswith("header:"):
        value = http.headers.get(rule.removeprefix("header:"))
        if value:
            return f"hdr:{value}"
    return f"ip:{http.client or 'unknown'}"


async def rate_limit(limiter: Limiter, key: str) -> None:
    wait = await limiter.acquire(key)
    if wait > 0:
        raise RouterError(
            RATE_LIMITED,
            "Too many requests: slow down and retry later.",
            headers={"retry-after": retry_after(wait)},
        )
