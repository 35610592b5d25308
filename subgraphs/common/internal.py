"""Who may call a service's ``/internal/*`` endpoints (service-to-service, not the graph).

With ``<NAME>_INTERNAL_TOKEN`` set (one shared secret, on every service), a caller must send it
in ``X-Internal-Token``. Without a token, only loopback callers are served: enough for one
machine (``make run``, tests), and closed to everyone else by default. A refusal is a 403
with code ``FORBIDDEN``; callers treat it as retryable, so fixing the configuration lets
queued work through.
"""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.responses import JSONResponse

INTERNAL_TOKEN_HEADER = "X-Internal-Token"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def refuse_internal_caller(request: Request, token: str) -> JSONResponse | None:
    """None when ``request`` may use an internal endpoint; else the 403 to answer."""
    if token:
        supplied = request.headers.get(INTERNAL_TOKEN_HEADER, "")
        if hmac.compare_digest(supplied.encode(), token.encode()):
            return None
        reason = f"send the shared internal token in {INTERNAL_TOKEN_HEADER}"
    else:
        host = request.client.host if request.client else ""
        if host in _LOOPBACK:
            return None
        reason = "internal endpoints serve only loopback callers unless an internal token is set"
    body = {"error": {"code": "FORBIDDEN", "message": f"Not allowed: {reason}."}}
    return JSONResponse(body, status_code=403)


def internal_headers(token: str) -> dict[str, str]:
    """The headers a service sends to another's internal endpoints."""
    return {INTERNAL_TOKEN_HEADER: token} if token else {}
