"""`switchboard dev` starts every subgraph with demo data and stops them all on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from subgraphs.registry import SERVICES
from tests.support.processes import ROOT, free_port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_dev_starts_seeded_services_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {name: free_port() for name in SERVICES}
    env = dict(os.environ)
    for name, port in ports.items():
        env[f"{name.upper()}_PORT"] = str(port)
        env[f"{name.upper()}_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/{name}.db"
    router_port = free_port()
    env["SWITCHBOARD_ROUTER_PORT"] = str(router_port)
    env["SWITCHBOARD_DATA_DIR"] = str(tmp_path / "data")
    log = (tmp_path / "dev.log").open("w+b")
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "dev"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 90
        while b"Switchboard is up" not in (tmp_path / "dev.log").read_bytes():
            assert process.poll() is None, (tmp_path / "dev.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "dev.log").read_text()
            time.sleep(0.2)
        output = (tmp_path / "dev.log").read_text()
        for name, port in ports.items():
            assert f"http://127.0.0.1:{port}/graphql" in output
            assert f"{name:<13} | " in output or f"{name} | " in output  # prefixed log lines
        body = httpx.post(
            f"http://127.0.0.1:{ports['customers']}/graphql",
            json={"query": "{ customers(first: 3) { nodes { id } } }"},
        ).json()
        assert len(body["data"]["customers"]["nodes"]) == 3  # demo data was seeded
        assert f"http://127.0.0.1:{router_port}/graphql" in output
        assert "composed" in output
        composed = (tmp_path / "data" / "supergraph.graphql").read_text()
        assert f"http://127.0.0.1:{ports['orders']}/graphql" in composed  # live URLs
        federated = httpx.post(
            f"http://127.0.0.1:{router_port}/graphql",
            json={
                "query": "{ customers(first: 2) { nodes { name orders(first: 1) "
                "{ nodes { invoice { number } } } subscriptions(first: 1) { nodes { id } } } } }"
            },
        ).json()
        assert "errors" not in federated
        assert len(federated["data"]["customers"]["nodes"]) == 2
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert not any(_listening(port) for port in [*ports.values(), router_port]), "orphan left"


def test_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        env = {**os.environ, "CUSTOMERS_PORT": str(port)}
        result = subprocess.run(
            [sys.executable, "-m", "switchboard", "dev"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"port 127.0.0.1:{port} for customers is already in use" in lines[0]


def test_unopenable_database_is_one_clear_line(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "switchboard",
            "subgraph",
            "customers",
            "--port",
            str(free_port()),
            "--database-url",
            f"sqlite+aiosqlite:///{blocked}/sub/customers.db",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "cannot prepare database" in result.stderr
    assert "CUSTOMERS_DATABASE_URL" in result.stderr
