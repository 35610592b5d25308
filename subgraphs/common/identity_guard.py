"""Refuse ``/graphql`` requests without a valid identity token: HTTP 401, ``UNAUTHENTICATED``.

Runs before the body is read, for every method: a caller without the router's (or a peer
service's) signature learns nothing, not even whether its document parses. The verified
``Identity`` is left in the request's state (``request.state.identity``) for the context.
"""

from __future__ import annotations

import orjson

from .errors import Unauthenticated as UnauthenticatedError
from .http_guard import ASGIApp, Receive, Scope, Send
from .identity import HEADER, IdentityVerifier, Unauthenticated

_HEADER = HEADER.encode("latin-1")
_CHALLENGE = b'SwitchboardIdentity realm="subgraph"'


class IdentityGuard:
    """ASGI middleware: ``path`` answers only requests with a valid identity token."""

    def __init__(self, app: ASGIApp, *, path: str, verifier: IdentityVerifier) -> None:
        self.app = app
        self.path = path
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] in ("http", "websocket")
        if not guarded or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        token = next((v.decode("latin-1") for k, v in scope["headers"] if k == _HEADER), None)
        try:
            identity = self.verifier.verify(token)
        except Unauthenticated as refused:
            if scope["type"] == "websocket":  # subscriptions: the handshake carries the token
                await _refuse_socket(receive, send)
            else:
                await _refuse(send, refused.reason, self.verifier.configured)
            return
        scope.setdefault("state", {})["identity"] = identity
        await self.app(scope, receive, send)


async def _refuse(send: Send, reason: str, configured: bool) -> None:
    error = UnauthenticatedError(
        "This subgraph answers only requests signed by the router or a peer service "
        "(X-Switchboard-Identity)."
        if configured
        else "This subgraph trusts no keys yet (<SERVICE>_ROUTER_PUBLIC_KEYS): it refuses "
        "every request.",
        reason=reason if configured else "no_keys",
    )
    body = orjson.dumps({"errors": [{"message": error.message, "extensions": error.extensions}]})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", _CHALLENGE),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refuse_socket(receive: Receive, send: Send) -> None:
    """Close a WebSocket handshake without a valid token (the server answers HTTP 403)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4401, "reason": "Unauthenticated"})
