"""The subgraph HTTP client against real sockets: keep-alive, framing, failures, de-duplication."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest

from router.executor.fetcher import HttpFetcher
from router.executor.http1 import (
    ConnectFailed,
    ConnectionDropped,
    Http1Client,
    Origin,
    RequestTimedOut,
    ResponseMalformed,
)

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # → keep the connection?


class Server:
    """A raw HTTP/1.1 server: reads one request at a time, lets ``handler`` answer."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/graphql"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                if not await self.handler(body, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def reply(body: bytes, status: str = "200 OK", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Length: %d\r\n%s\r\n%s" % (
        status.encode(),
        len(body),
        extra,
        body,
    )


async def echo(body: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(reply(body))
    return True


@pytest.fixture
async def client() -> AsyncIterator[Http1Client]:
    http = Http1Client()
    yield http
    await http.aclose()


async def test_keep_alive_reuses_one_connection(client: Http1Client) -> None:
    async with Server(echo) as server:
        origin = Origin.parse(server.url)
        for n in range(5):
            response = await client.post(origin, b"", b"%d" % n, timeout=5)
            assert (response.status, response.body) == (200, b"%d" % n)
        assert server.connections == 1
        first = server.requests[0]
        assert first.startswith(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:")
        assert b"Content-Length: 1\r\n" in first


async def test_chunked_responses_are_decoded(client: Http1Client) -> None:
    async def chunked(_body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        return True

    async with Server(chunked) as server:
        response = await client.post(Origin.parse(server.url), b"", b"x", timeout=5)
        assert response.body == b"hello world"


async def test_connection_close_is_honoured(client: Http1Client) -> None:
    async def closing(body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(reply(body, extra=b"Connection: close\r\n"))
        await writer.drain()
        return False

    async with Server(closing) as server:
        origin = Origin.parse(server.url)
        for _ in range(3):
            assert (await client.post(origin, b"", b"ok", timeout=5)).body == b"ok"
        assert server.connections == 3


async def test_a_stale_keep_alive_connection_is_retried_once(client: Http1Client) -> None:
    calls = 0

    async def drop_second(body: bytes, writer: asyncio.StreamWriter) -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:  # the server "timed out" the idle connection as our request arrived
            return False
        writer.write(reply(body))
        return True

    async with Server(drop_second) as server:
        origin = Origin.parse(server.url)
        assert (await client.post(origin, b"", b"a", timeout=5)).body == b"a"
        assert (await client.post(origin, b"", b"b", timeout=5)).body == b"b"
        assert server.connections == 2
        calls = 1  # next request drops again; without retry it must fail
        with pytest.raises(ConnectionDropped):
            await client.post(origin, b"", b"c", timeout=5, retry_stale=False)


async def test_failures_are_typed(client: Http1Client) -> None:
    async def garbage(_body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        return True

    async def silent(_body: bytes, _writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.5)  # past the client's 0.2 s timeout
        return False

    async with Server(garbage) as server:
        with pytest.raises(ResponseMalformed):
            await client.post(Origin.parse(server.url), b"", b"x", timeout=5)
    async with Server(silent) as server:
        with pytest.raises(RequestTimedOut):
            await client.post(Origin.parse(server.url), b"", b"x", timeout=0.2)
    with pytest.raises(ConnectFailed):
        await client.post(Origin.parse("http://127.0.0.1:9/x"), b"", b"x", timeout=5)


def test_origin_parsing() -> None:
    assert Origin.parse("http://example.com/graphql").head == (
        b"POST /graphql HTTP/1.1\r\nHost: example.com\r\n"
    )
    assert Origin.parse("https://h:8443/a?b=1").head == b"POST /a?b=1 HTTP/1.1\r\nHost: h:8443\r\n"
    with pytest.raises(ValueError, match="not an http"):
        Origin.parse("ftp://example.com/")


async def test_identical_in_flight_queries_share_one_request() -> None:
    release = asyncio.Event()

    async def slow(_body: bytes, writer: asyncio.StreamWriter) -> bool:
        await release.wait()
        writer.write(reply(orjson.dumps({"data": {"n": 1}})))
        return True

    async with Server(slow) as server:
        fetcher = HttpFetcher({"a": server.url})
        try:
            queries = [fetcher.fetch("a", "{ n }", {}) for _ in range(10)]
            mutations = [fetcher.fetch("a", "mutation { n }", {}, mutation=True) for _ in range(2)]
            pending = asyncio.gather(*queries, *mutations)
            await asyncio.sleep(0.1)
            release.set()
            results = await pending
        finally:
            await fetcher.aclose()
        assert all(r.data == {"n": 1} for r in results)
        assert results[0].data is not results[1].data  # each waiter decodes its own copy
        assert len(server.requests) == 3  # one shared query, each mutation on its own


async def test_forwarded_headers_are_sanitised() -> None:
    async with Server(echo) as server:
        fetcher = HttpFetcher({"a": server.url}, headers={"x-static": "1"})
        try:
            await fetcher.fetch(
                "a",
                "{ n }",
                {},
                headers={"authorization": "Bearer t", "content-length": "9", "x-bad": "a\r\nb: c"},
            )
        finally:
            await fetcher.aclose()
        head = server.requests[0].lower()
        assert b"authorization: bearer t\r\n" in head
        assert b"x-static: 1\r\n" in head
        assert b"x-bad" not in head
        assert head.count(b"content-length") == 1
