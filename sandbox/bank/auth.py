"""The bank's API keys: every ``/v1/`` request (they move money or show it) needs one.

A caller sends ``Authorization: Bearer sk_test_…``; a missing or unknown key is a 401 in the
bank's error shape, ``{"error": {"type": "authentication_error", "code": …, "message": …}}``,
checked before the request body is read. The key is never echoed or logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PROTECTED = "/v1/"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="sandbox-bank"'}


def refusal(code: str, message: str) -> JSONResponse:
    body = {"error": {"type": "authentication_error", "code": code, "message": message}}
    return JSONResponse(body, status_code=401, headers=CHALLENGE)


def check(authorization: str, keys: Sequence[bytes]) -> JSONResponse | None:
    """None if ``authorization`` carries one of ``keys``; else the 401 to answer."""
    scheme, _, supplied = authorization.partition(" ")
    if scheme.lower() != "bearer" or not supplied.strip():
        return refusal(
            "api_key_missing", "No API key provided: send `Authorization: Bearer sk_test_…`."
        )
    offered = supplied.strip().encode()
    # every key is compared, so the time taken does not tell which one nearly matched
    matches = [hmac.compare_digest(offered, key) for key in keys]
    if not any(matches):
        return refusal("api_key_invalid", "Invalid API key provided.")
    return None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: Sequence[bytes]) -> None:
        self.app = app
        self.keys = tuple(keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(PROTECTED):
            refused = check(Headers(scope=scope).get("authorization", ""), self.keys)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
