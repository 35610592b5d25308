"""`switchboard router` and `switchboard plan` from the command line."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, free_port, start_service


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_router_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    router = start_service(
        ["router", "--port", str(port)], name="router", port=port, log_dir=tmp_path
    )
    try:
        router.process.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal after its graceful shutdown, by convention
        assert router.process.wait(timeout=15) in (0, -signal.SIGTERM)
        assert "Application shutdown complete" in router.log()
        assert "Traceback" not in router.log()
    finally:
        router.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--supergraph", "missing.graphql"], "missing.graphql"),
        (["--config", "missing.yaml"], "missing.yaml"),
    ],
)
def test_router_bad_input_is_one_line(args: list[str], message: str) -> None:
    result = run("router", "--port", str(free_port()), *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_router_rejects_unknown_config_key(tmp_path: Path) -> None:
    config = tmp_path / "router.yaml"
    config.write_text("listen_port: 4000\n")
    result = run("router", "--config", str(config))
    assert result.returncode == 2
    assert "listen_port" in result.stderr


def test_router_rejects_a_file_that_is_not_a_supergraph(tmp_path: Path) -> None:
    fake = tmp_path / "fake.graphql"
    fake.write_text("type Query { hello: String }\n")
    result = run("router", "--supergraph", str(fake), "--port", str(free_port()))
    assert result.returncode == 2
    assert "not a supergraph" in result.stderr


def test_plan_command_prints_a_plan(tmp_path: Path) -> None:
    operation = tmp_path / "op.graphql"
    operation.write_text("{ customers(first: 1) { nodes { name orders { nodes { id } } } } }")
    result = run("plan", str(operation))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("QueryPlan {")
    assert 'Fetch(service: "customers")' in result.stdout
    assert 'Flatten(path: "customers.nodes.@")' in result.stdout
    as_json = run("plan", str(operation), "--json")
    assert '"kind": "QueryPlan"' in as_json.stdout


def test_plan_command_reports_invalid_operations(tmp_path: Path) -> None:
    operation = tmp_path / "op.graphql"
    operation.write_text("{ nope }")
    result = run("plan", str(operation))
    assert result.returncode == 2
    assert "Cannot query field 'nope'" in result.stderr


def test_router_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "router.yaml"
    config.write_text("dev: false\ncors:\n  allow_origins: https://app.example\n")
    result = run("router", "--config", str(config), "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"switchboard router: error: {config}:3: cors.allow_origins: Input should be a valid list"
    )


def test_router_rejects_a_supergraph_that_does_not_parse(tmp_path: Path) -> None:
    broken = tmp_path / "broken.graphql"
    broken.write_text("type Query {\n")
    result = run("router", "--supergraph", str(broken), "--port", str(free_port()))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"switchboard router: error: supergraph {broken}: Syntax Error: Expected Name, found <EOF>."
    ]


def test_config_reference_command_checks_and_writes(tmp_path: Path) -> None:
    def docs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "router.config_docs", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert docs("--check").returncode == 0
    target = tmp_path / "configuration.md"
    stale = docs("--check", "--output", str(target))
    assert stale.returncode == 1
    assert "is stale" in stale.stderr
    assert docs("--output", str(target)).returncode == 0
    assert docs("--check", "--output", str(target)).returncode == 0


@pytest.mark.parametrize(
    ("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)], ids=["network", "loopback"]
)
def test_dev_mode_on_a_network_address_prints_a_warning(
    tmp_path: Path, host: str, warned: bool
) -> None:
    """Dev mode opens GraphiQL, introspection, plans and APQ registration: fine on loopback, a
    warning anywhere else (production is the default, `dev: true` is asked for)."""
    config = tmp_path / "router.yaml"
    config.write_text("dev: true\n")
    port = free_port()
    router = start_service(
        ["router", "--config", str(config), "--host", host, "--port", str(port)],
        name="router",
        port=port,
        log_dir=tmp_path,
    )
    try:
        assert ("open to the network" in router.log()) is warned, router.log()
    finally:
        router.stop()
