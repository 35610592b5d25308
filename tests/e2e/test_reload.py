"""Supergraph hot reload in a real router under load: nothing dropped, bad files kept out."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.echo_subgraph import start_echo, supergraph_sdl
from tests.support.processes import ServiceProcess, free_port, start_service

WAIT_SECONDS = 60  # an upper bound for slow CI machines; nothing asserts how long it took
HAMMERS = 4


class Hammer:
    """Threads that send queries until stopped, keeping every failed answer.

    One thread asks for a slow field too, so some requests are in flight across each swap.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.ok = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        fields = [["hello", "alphaSlow"], *[["hello"]] * (HAMMERS - 1)]
        self._threads = [threading.Thread(target=self._run, args=(f,)) for f in fields]

    def __enter__(self) -> Hammer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self, fields: list[str]) -> None:
        query = "{ " + " ".join(fields) + " }"
        expected = {"data": {f: "slow" if f.endswith("Slow") else f for f in fields}}
        with httpx.Client(timeout=30.0) as client:
            while not self._stop.is_set():
                try:
                    response = client.post(self.url, json={"query": query})
                    good = response.status_code == 200 and response.json() == expected
                    failure = None if good else f"{response.status_code} {response.text}"
                except httpx.HTTPError as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                with self._lock:
                    if failure is None:
                        self.ok += 1
                    else:
                        self.failures.append(failure)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def answers(router: ServiceProcess, field: str) -> bool:
    body = router.execute(f"{{ {field} }}")
    return body == {"data": {field: field}}


def replace_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


@pytest.mark.slow
def test_supergraph_hot_reload_under_load(tmp_path: Path) -> None:
    echo = start_echo(tmp_path, slow_seconds=0.3)
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(echo.url, {"alpha": ["hello", "alphaSlow"]}))
    config = tmp_path / "router.yaml"
    reload = {"enabled": True, "interval_seconds": 0.1}
    settings = {"dev": False, "introspection": True, "hot_reload": reload}
    config.write_text(yaml.safe_dump(settings))
    port = free_port()
    router = start_service(
        ["router", "--config", str(config), "--supergraph", str(supergraph), "--port", str(port)],
        name="router",
        port=port,
        log_dir=tmp_path,
    )
    try:
        assert not answers(router, "extra")
        with Hammer(f"{router.url}/graphql") as hammer:
            wait_for(lambda: hammer.ok > 20, "the first answers")
            alpha = ["hello", "alphaSlow", "extra"]
            replace_atomically(supergraph, supergraph_sdl(echo.url, {"alpha": alpha}))
            wait_for(lambda: answers(router, "extra"), "the new field")
            supergraph.write_text("type Query {\n")  # broken, written in place
            wait_for(lambda: "not reloaded" in router.log(), "the reload error")
            assert answers(router, "extra")
            fixed = {"alpha": ["hello", "alphaSlow"], "beta": ["third"]}
            supergraph.write_text(supergraph_sdl(echo.url, fixed))  # fixed, with a new subgraph
            wait_for(lambda: answers(router, "third"), "the fixed supergraph")
            served = hammer.ok
            wait_for(lambda: hammer.ok > served + 20, "answers after the last reload")
        assert hammer.failures == []
        fields = router.data('{ __type(name: "Query") { fields { name } } }')
        assert [f["name"] for f in fields["__type"]["fields"]] == ["hello", "alphaSlow", "third"]
        log = router.log()
        [error] = [line for line in log.splitlines() if "not reloaded" in line]
        assert "the previous one keeps serving" in error
        assert "Syntax Error" in error
        assert log.count("reloaded (") == 2
        assert "Traceback" not in log
    finally:
        router.stop()
        echo.stop()
