"""``switchboard up --profile production``: the deployed topology as real local processes.

PostgreSQL (TEST_POSTGRES_URL) holds every database, Redis the shared APQ documents and
rate limits; two router workers share one port, and two processes of every subgraph share
each subgraph's port.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from subgraphs.registry import SERVICES
from tests.e2e.test_router_telemetry import sample
from tests.support.databases import POSTGRES_ENV, _admin
from tests.support.processes import ROOT, free_port

READY_SECONDS = 240  # migrations, seeds and a dozen processes on a busy 2-core machine


@pytest.mark.slow
@pytest.mark.postgres
def test_up_production_profile(tmp_path: Path) -> None:
    prefix = f"sbup_{uuid.uuid4().hex[:8]}_"
    ports = {name: free_port() for name in ("router", "metrics", "bank", "mail", "mail_http")}
    env = {
        **os.environ,
        "SWITCHBOARD_DATA_DIR": str(tmp_path),
        "SWITCHBOARD_DATABASE_PREFIX": prefix,
        "SWITCHBOARD_ROUTER_PORT": str(ports["router"]),
        "SWITCHBOARD_ROUTER_TELEMETRY__METRICS__PORT": str(ports["metrics"]),
        "BANK_PORT": str(ports["bank"]),
        "MAILSINK_PORT": str(ports["mail"]),
        "MAILSINK_HTTP_PORT": str(ports["mail_http"]),
        **{f"{name.upper()}_PORT": str(free_port()) for name in SERVICES},
    }
    log_path = tmp_path / "up.log"
    args = ["up", "--profile", "production", "--routers", "2", "--subgraph-processes", "2",
            "--postgres-url", os.environ[POSTGRES_ENV], "--redis-url", "redis://127.0.0.1:6379/13",
            "--seed"]  # fmt: skip
    with log_path.open("wb") as log:
        up = subprocess.Popen(
            [sys.executable, "-m", "switchboard", *args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + READY_SECONDS
        while "Switchboard is up" not in log_path.read_text(errors="replace"):
            assert up.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.5)
        log = log_path.read_text(errors="replace")
        for name in SERVICES:
            assert f"{name}.1 " in log  # a second process of every subgraph
        url = f"http://127.0.0.1:{ports['router']}/graphql"
        query = "{ plans { code } }"
        digest = hashlib.sha256(query.encode()).hexdigest()
        apq = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        with httpx.Client(timeout=30) as client:
            plans = client.post(url, json={"query": query, "extensions": apq}).json()
            assert (plans.get("data") or {}).get("plans"), plans
            for _ in range(6):  # new connections: either worker may answer the hash
                with httpx.Client(timeout=30) as fresh:
                    assert fresh.post(url, json={"extensions": apq}).json() == plans
            metrics_url = f"http://127.0.0.1:{ports['metrics']}/metrics"
            # the second worker may still be starting, and each worker copies its Redis state
            # into the metrics once a second
            while (
                sample(metrics := client.get(metrics_url).text, "switchboard_router_ready") < 2
                or sample(metrics, "switchboard_router_redis_up", use="apq") != 1
            ):
                assert time.monotonic() < deadline, metrics
                time.sleep(0.5)
        assert sample(metrics, "switchboard_router_ready") == 2
        assert sample(metrics, "switchboard_router_redis_up", use="apq") == 1
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=90) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        for name in [*SERVICES, "bank"]:
            _admin(f'DROP DATABASE IF EXISTS "{prefix}{name}" WITH (FORCE)')
