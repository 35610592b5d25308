"""A lean HTTP/1.1 client for subgraph requests: keep-alive pools on asyncio protocols.

The router sends many small POSTs to a handful of origins. A general-purpose client spends
most of a request's CPU on features the router never uses (redirects, auth flows, cookies,
per-request pool scans), and may split headers and body into two writes, which Nagle's
algorithm can hold back for a delayed ACK. This client writes each request in one buffer on a
``TCP_NODELAY`` socket, parses responses with httptools, and keeps idle connections per
origin in a LIFO stack.

Exceptions (all ``HttpClientError``): ``ConnectFailed`` (the origin could not be reached),
``ConnectionDropped`` (the connection closed before a whole response arrived),
``ResponseMalformed`` (the bytes were not HTTP), ``RequestTimedOut``.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

# Never copied from a client, never set by a rule: the router owns the subgraph request's
# framing and content negotiation, and hop-by-hop headers describe one connection only.
RESERVED = frozenset(
    {
        "accept",
        "accept-encoding",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "expect",
        "host",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class HttpClientError(Exception):
    """A request that got no complete HTTP response."""


class ConnectFailed(HttpClientError):
    pass


class ConnectionDropped(HttpClientError):
    pass


class ResponseMalformed(HttpClientError):
    pass


class RequestTimedOut(HttpClientError):
    pass


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Origin:
    """Where requests for one URL go, and the request-line + Host header prefix for it."""

    host: str
    port: int
    tls: bool
    head: bytes  # b"POST /path HTTP/1.1\r\nHost: host:port\r\n"

    @classmethod
    def parse(cls, url: str, method: str = "POST") -> Origin:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        default_port = port == (443 if tls else 80)
        authority = host if default_port else f"{host}:{port}"
        head = f"{method} {target} HTTP/1.1\r\nHost: {authority}\r\n".encode("latin-1")
        return cls(parts.hostname, port, tls, head)


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight."""

    __slots__ = (
        "_body",
        "_headers",
        "_parser",
        "_pending",
        "_transport",
        "_waiter",
        "closed",
        "reusable",
    )

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._waiter: asyncio.Future[Response] | None = None
        self._pending = b""  # written once connection_made runs (uvloop may call it late)
        self.closed = False
        self.reusable = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._pending:
            self._transport.write(self._pending)
            self._pending = b""

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ResponseMalformed(f"malformed HTTP response: {exc}"))
            self.close()

    def eof_received(self) -> bool | None:
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionDropped("the connection closed before the response was complete"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        status = self._parser.get_status_code()
        self.reusable = self._parser.should_keep_alive()
        body = b"".join(self._body)
        headers = tuple(self._headers)
        self._body = []
        self._headers = []
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(status, body, headers))

    # the client side
    def send(self, payload: bytes) -> asyncio.Future[Response]:
        assert self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        if self._transport is None:
            self._pending = payload
        else:
            self._transport.write(payload)
        return self._waiter

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _fail(self, error: HttpClientError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class _OriginPool:
    """Idle connections to one origin, and a cap on how many may be open at once."""

    def __init__(self, origin: Origin, max_connections: int, ssl_context: ssl.SSLContext | None):
        self.origin = origin
        self.idle: deque[_Connection] = deque()
        self.slots = asyncio.Semaphore(max_connections)
        self.ssl_context = ssl_context

    async def acquire(self) -> tuple[_Connection, bool]:
        """An open connection and whether it was reused from the pool."""
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed:
                return connection, True
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                _Connection,
                self.origin.host,
                self.origin.port,
                ssl=self.ssl_context if self.origin.tls else None,
            )
        except OSError as exc:
            raise ConnectFailed(exc.strerror or str(exc) or type(exc).__name__) from None
        return connection, False

    def release(self, connection: _Connection) -> None:
        if connection.closed or not connection.reusable:
            connection.close()
        else:
            self.idle.append(connection)

    def close(self) -> None:
        while self.idle:
            self.idle.pop().close()


class Http1Client:
    """POSTs bytes to URLs; one pool per origin, created on first use."""

    def __init__(self, *, max_connections_per_origin: int = 100) -> None:
        self._max = max_connections_per_origin
        self._pools: dict[tuple[str, int, bool], _OriginPool] = {}
        self._ssl: ssl.SSLContext | None = None

    async def post(
        self,
        origin: Origin,
        headers: bytes,
        body: bytes,
        *,
        timeout: float,  # noqa: ASYNC109 (a per-origin budget the pool enforces itself)
        retry_stale: bool = True,
    ) -> Response:
        """Send ``origin.head + headers`` (CRLF-terminated lines) and ``body``.

        A reused keep-alive connection that the server had already closed is retried once
        on a new connection when ``retry_stale`` (the caller says the request is idempotent).
        """
        pool = self._pool(origin)
        payload = b"%s%sContent-Length: %d\r\n\r\n%s" % (origin.head, headers, len(body), body)
        try:
            async with asyncio.timeout(timeout):  # waiting for a connection slot counts too
                async with pool.slots:
                    return await self._exchange(pool, payload, retry_stale)
        except TimeoutError:
            raise RequestTimedOut(f"no response within {timeout:g} s") from None

    async def _exchange(self, pool: _OriginPool, payload: bytes, retry_stale: bool) -> Response:
        connection, reused = await pool.acquire()
        try:
            response = await connection.send(payload)
        except ConnectionDropped:
            connection.close()
            if not (reused and retry_stale):
                raise
            connection, _ = await _fresh(pool)
            try:
                response = await connection.send(payload)
            except BaseException:
                connection.close()
                raise
        except BaseException:
            connection.close()  # a timeout or cancellation mid-response: the stream is unusable
            raise
        pool.release(connection)
        return response

    def _pool(self, origin: Origin) -> _OriginPool:
        key = (origin.host, origin.port, origin.tls)
        pool = self._pools.get(key)
        if pool is None:
            if origin.tls and self._ssl is None:
                self._ssl = ssl.create_default_context()
            pool = self._pools[key] = _OriginPool(origin, self._max, self._ssl)
        return pool

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


async def _fresh(pool: _OriginPool) -> tuple[_Connection, bool]:
    """A new connection, skipping idle ones (after a stale one, the others may be stale too)."""
    while pool.idle:
        pool.idle.pop().close()
    return await pool.acquire()
