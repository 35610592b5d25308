"""``workers: 2`` under the supervisor: one port, summed metrics, restarts, SIGHUP, SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.echo_subgraph import start_echo, supergraph_sdl
from tests.e2e.test_reload import Hammer, wait_for
from tests.e2e.test_router_telemetry import sample
from tests.support.processes import ServiceProcess, free_port, start_service


def worker_pids(router: ServiceProcess) -> dict[int, int]:
    """Worker index → pid of its latest process, from the workers' own log lines."""
    found: dict[int, int] = {}
    for index, pid in re.findall(r"worker (\d+) serving \(pid (\d+)\)", router.log()):
        found[int(index)] = int(pid)
    return found


def fresh_connection_query(url: str, query: str) -> httpx.Response:
    with httpx.Client(timeout=30) as client:  # a new connection: any worker may take it
        return client.post(f"{url}/graphql", json={"query": query})


@pytest.mark.slow
def test_two_workers_restart_reload_and_drain(tmp_path: Path) -> None:
    echo = start_echo(tmp_path, slow_seconds=1.5)
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(echo.url, {"alpha": ["hello", "alphaSlow"]}))
    metrics_port = free_port()
    settings: dict[str, Any] = {
        "dev": False,
        "workers": 2,
        "shutdown": {"grace_seconds": 20},
        "telemetry": {"metrics": {"enabled": True, "port": metrics_port}},
    }
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump(settings))
    port = free_port()
    args = ["router", "--config", str(config), "--supergraph", str(supergraph)]
    router = start_service([*args, "--port", str(port)], name="router", port=port, log_dir=tmp_path)
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        wait_for(lambda: "with 2 workers" in router.log(), "both workers")
        first = worker_pids(router)
        assert len(first) == 2
        for _ in range(10):
            assert fresh_connection_query(router.url, "{ hello }").json() == {
                "data": {"hello": "hello"}
            }
        text = httpx.get(metrics_url, timeout=10).text  # the sum of both workers' metrics
        assert sample(text, "switchboard_router_operations_total", outcome="success") >= 10
        assert sample(text, "switchboard_router_ready") == 2
        for worker in ("0", "1"):
            assert sample(text, "switchboard_router_worker_resident_memory_bytes", worker=worker)

        # A worker that dies is replaced; the other serves meanwhile.
        os.kill(first[0], signal.SIGKILL)
        wait_for(lambda: worker_pids(router).get(0) not in (None, first[0]), "a new worker 0")
        assert fresh_connection_query(router.url, "{ hello }").status_code == 200

        # SIGHUP under load: every worker replaced, no request failed.
        before = worker_pids(router)
        with Hammer(f"{router.url}/graphql") as hammer:
            wait_for(lambda: hammer.ok > 10, "answers before the reload")
            router.process.send_signal(signal.SIGHUP)
            wait_for(lambda: "every worker replaced" in router.log(), "the rolling reload")
            served = hammer.ok
            wait_for(lambda: hammer.ok > served + 10, "answers after the reload")
        assert hammer.failures == []
        after = worker_pids(router)
        assert set(after.values()).isdisjoint(before.values())

        # SIGTERM drains: the slow request in flight is answered, then everything exits.
        answers: list[httpx.Response] = []
        slow = threading.Thread(
            target=lambda: answers.append(fresh_connection_query(router.url, "{ alphaSlow }"))
        )
        slow.start()
        wait_for(
            lambda: (
                sample(httpx.get(metrics_url, timeout=10).text, "http_server_active_requests") >= 1
            ),
            "the slow request in flight",
        )
        router.process.send_signal(signal.SIGTERM)
        slow.join(timeout=60)
        assert [r.json() for r in answers] == [{"data": {"alphaSlow": "slow"}}]
        assert router.process.wait(timeout=60) == 0
        assert "stopping: 2 workers drain in-flight requests" in router.log()
        assert "Traceback" not in router.log()
    finally:
        router.stop()
        echo.stop()
