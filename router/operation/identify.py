"""Stage 2, identify: who is calling (the client key), and whether they may call right now.

The client key picks the rate-limit bucket: the verified token's subject when there is one,
else the peer address, or a configured header.
"""

from __future__ import annotations

from router.errors import RATE_LIMITED, RouterError
from router.operation.context import HttpRequest
from router.operation.ratelimit import Limiter, retry_after


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
