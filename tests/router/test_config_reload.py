"""Supergraph hot reload in process: the watcher's polling, and the app's atomic swap."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import httpx
import pytest

from router.config import load_config
from router.server.app import create_app
from router.server.reload import SupergraphWatcher
from tests.e2e.echo_subgraph import supergraph_sdl

WAIT_SECONDS = 30.0


class Recorder:
    def __init__(self, accept: bool = True) -> None:
        self.texts: list[str] = []
        self.accept = accept

    async def __call__(self, text: str) -> bool:
        self.texts.append(text)
        return self.accept


def watcher_for(path: Path, recorder: Recorder) -> SupergraphWatcher:
    return SupergraphWatcher(path, interval=0.01, loaded_text=path.read_text(), apply=recorder)


def bump_mtime(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


async def test_watcher_offers_each_new_content_once(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text("one")
    recorder = Recorder(accept=False)
    watcher = watcher_for(path, recorder)
    assert not await watcher.poll()
    bump_mtime(path)  # touched, same content: read, hashed, not offered
    assert not await watcher.poll()
    path.write_text("two")
    bump_mtime(path)
    assert await watcher.poll()
    assert not await watcher.poll()  # refused content is not offered again
    path.write_text("three!")
    assert await watcher.poll()
    assert recorder.texts == ["two", "three!"]


async def test_watcher_reports_a_missing_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text("one")
    recorder = Recorder()
    watcher = watcher_for(path, recorder)
    path.unlink()
    with caplog.at_level(logging.ERROR, logger="switchboard.router"):
        assert not await watcher.poll()
        assert not await watcher.poll()
    assert [r.getMessage() for r in caplog.records] == [
        f"supergraph {path} is missing; the previous one keeps serving"
    ]
    path.write_text("two")
    assert await watcher.poll()
    assert recorder.texts == ["two"]


async def _wait_until(condition: object) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "gave up waiting"
        await asyncio.sleep(0.02)


async def _fields(client: httpx.AsyncClient) -> list[str]:
    response = await client.post(
        "/graphql", json={"query": '{ __type(name: "Query") { fields { name } } }'}
    )
    return [f["name"] for f in response.json()["data"]["__type"]["fields"]]


async def test_app_swaps_gateway_and_graphiql_and_keeps_them_on_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_sdl("http://127.0.0.1:9", {"alpha": ["hello"]}))
    config = load_config(None, supergraph=path, dev=True, hot_reload={"interval_seconds": 0.02})
    app = create_app(config)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://router") as client,
    ):
        first_gateway, first_page = app.state.gateway, app.state.graphiql
        assert first_page is not None
        assert await _fields(client) == ["hello"]
        path.write_text(supergraph_sdl("http://127.0.0.1:9", {"alpha": ["hello", "extra"]}))
        await _wait_until(lambda: app.state.gateway is not first_gateway)
        assert app.state.graphiql is not first_page
        assert await _fields(client) == ["hello", "extra"]
        swapped = app.state.gateway
        with caplog.at_level(logging.ERROR, logger="switchboard.router"):
            path.write_text("not a supergraph at all {")
            await _wait_until(lambda: caplog.records)
        assert app.state.gateway is swapped
        assert await _fields(client) == ["hello", "extra"]
        [record] = caplog.records
        assert record.getMessage().startswith(f"supergraph {path} not reloaded")


@pytest.mark.parametrize(
    ("settings", "watching"),
    [({"dev": False}, False), ({"dev": True}, True),
     ({"dev": False, "hot_reload": {"enabled": True}}, True),
     ({"dev": True, "hot_reload": {"enabled": False}}, False)],
)  # fmt: skip
async def test_watching_follows_the_mode(
    tmp_path: Path, settings: dict[str, object], watching: bool
) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_sdl("http://127.0.0.1:9", {"alpha": ["hello"]}))
    app = create_app(load_config(None, supergraph=path, **settings))
    async with app.router.lifespan_context(app):
        tasks = {t.get_coro().__qualname__ for t in asyncio.all_tasks()}  # type: ignore[union-attr]
        assert ("_watch" in tasks) == watching
