"""`switchboard dev`: what stops it is one line saying what and how to fix it.

Its happy path (every service up, prefixed logs, Ctrl-C leaves nothing listening) is
tested by tests/test_readme.py, which runs the README against it; hot reload by
tests/test_fifth_subgraph.py, which follows the fifth-subgraph guide and then edits it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.bank.settings import BankSettings
from subgraphs.common.settings import SubgraphSettings
from subgraphs.registry import SERVICES
from switchboard.dev import (
    bank_spec,
    human_logs,
    link_invoices_through,
    pin_demo_date,
    point_services_at,
)
from switchboard.hotreload import CompositionProblem, LiveSubgraph, SourceWatcher, compose_to_file
from switchboard.supervise import Child, ProcessSpec
from tests.support.processes import ROOT, auxiliary_ports, free_port
from tests.test_fifth_subgraph import scratch_copy


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


def _dev_fails(env: dict[str, str], cwd: Path = ROOT) -> str:
    """Run `switchboard dev`, expect it to give up; return its one stderr line."""
    result = subprocess.run(
        [sys.executable, "-m", "switchboard", "dev"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def _free_ports_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "SWITCHBOARD_DATA_DIR": str(tmp_path / "data")}
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(free_port())
        env.pop(f"{name.upper()}_DATABASE_URL", None)
    env["SWITCHBOARD_ROUTER_PORT"] = str(free_port())
    return auxiliary_ports(env)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("sqlite+aiosqlite:///{tmp}/a-file/customers.db", "File exists"),
        ("postgresql+asyncpg://postgres@127.0.0.1:1/customers", "Connect call failed"),
    ],
    ids=["sqlite-unwritable-path", "postgres-refuses"],
)
def test_dev_names_a_database_it_cannot_open_in_one_line(
    tmp_path: Path, url: str, reason: str
) -> None:
    (tmp_path / "a-file").write_text("a file, so nothing can be created under it")
    env = _free_ports_env(tmp_path)
    env["CUSTOMERS_DATABASE_URL"] = url.format(tmp=tmp_path)
    line = _dev_fails(env)
    assert line.startswith(
        f"switchboard dev: error: customers: cannot open database {url.format(tmp=tmp_path)!r}: "
    )
    assert reason in line
    assert line.endswith(
        "(set CUSTOMERS_DATABASE_URL to a database that exists and accepts connections)"
    )


@pytest.mark.slow
def test_dev_names_a_missing_python_dependency_in_one_line(tmp_path: Path) -> None:
    """A subgraph importing a package that is not installed: what is missing, and the fix."""
    repo = scratch_copy(tmp_path)
    graphiql = "router/server/graphiql/node_modules"
    (repo / graphiql).symlink_to(ROOT / graphiql)  # only the missing module is wrong here
    app = repo / "subgraphs/orders/app.py"
    app.write_text(app.read_text().replace("\nfrom fastapi", "\nimport lylty_sdk\nfrom fastapi", 1))
    env = {**_free_ports_env(tmp_path), "PYTHONPATH": str(repo)}
    line = _dev_fails(env, cwd=repo)
    assert line == (
        "switchboard dev: error: orders cannot start: Python module 'lylty_sdk' is missing: "
        "run `make install` to install the locked dependencies into .venv/ (a new dependency "
        "goes into pyproject.toml first)"
    )


def test_make_run_without_npm_is_one_clear_line(tmp_path: Path) -> None:
    """`make run` installs GraphiQL's assets with npm; without npm it says what to install."""
    make, tool = shutil.which("make"), shutil.which("id")  # the Makefile asks `id -u`
    assert make is not None
    assert tool is not None
    (tmp_path / "id").symlink_to(tool)
    result = subprocess.run(
        [make, "-B", "router/server/graphiql/node_modules/.installed"],
        cwd=ROOT,
        env={"PATH": str(tmp_path)},  # no npm on it
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        "GraphiQL's assets come from npm: install Node.js and npm first "
        "(apt-get install -y nodejs npm)."
    )


def _child(*lines: str) -> Child:
    spec = ProcessSpec("orders", ("true",), "127.0.0.1", 1, "ORDERS_PORT")
    child = Child(spec, "0")
    child.tail.extend(lines)
    return child


def test_a_child_failure_quotes_its_error_line_and_names_a_missing_package() -> None:
    traceback = ["Traceback (most recent call last):", '  File "x.py", line 1, in <module>']
    missing = _child(*traceback, "ModuleNotFoundError: No module named 'reportlab.pdf'")
    assert missing.failure().startswith(
        "orders cannot start: Python module 'reportlab.pdf' is missing: run `make install`"
    )
    ours = _child(*traceback, "ModuleNotFoundError: No module named 'subgraphs.orders.nope'")
    assert ours.failure() == (
        "orders exited with code None: ModuleNotFoundError: No module named 'subgraphs.orders.nope'"
    )
    command = _child(
        "INFO starting",
        "switchboard subgraph: error: orders: cannot prepare database 'x': OSError: refused",
        "some trailing noise",
    )
    assert command.failure() == (
        "orders exited with code None: cannot prepare database 'x': OSError: refused"
    )
    assert _child().failure() == "orders exited with code None: (no output)"


def test_the_source_watcher_sees_added_changed_and_removed_files(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    first = tmp_path / "pkg" / "a.py"
    first.write_text("x = 1\n")
    watcher = SourceWatcher((tmp_path / "pkg",))
    assert watcher.changed() == []
    (tmp_path / "pkg" / "notes.txt").write_text("not Python")
    assert watcher.changed() == []
    second = tmp_path / "pkg" / "b.py"
    second.write_text("y = 2\n")
    assert watcher.changed() == [second]
    os.utime(first, ns=(0, first.stat().st_mtime_ns + 1_000_000))
    assert watcher.changed() == [first]
    second.unlink()
    assert watcher.changed() == [second]


def test_a_failed_composition_leaves_the_supergraph_file_alone(tmp_path: Path) -> None:
    exports = ROOT / "schema" / "subgraphs"
    sdls = {name: (exports / f"{name}.graphql").read_text() for name in SERVICES}
    live = [LiveSubgraph(name, f"http://127.0.0.1:{4001 + i}/graphql") for i, name in
            enumerate(SERVICES)]  # fmt: skip
    target = tmp_path / "supergraph.graphql"
    assert compose_to_file(sdls, live, target) is True
    composed = target.read_bytes()
    assert compose_to_file(sdls, live, target) is False  # same text: not rewritten
    broken = {**sdls, "orders": sdls["orders"].replace("type Order ", "type Order @key(fields: ")}
    with pytest.raises(CompositionProblem) as problem:
        compose_to_file(broken, live, target)
    assert "\n" not in str(problem.value)  # one line, however many errors
    assert target.read_bytes() == composed
    assert [p.name for p in tmp_path.iterdir()] == ["supergraph.graphql"]  # no temp file left


def test_dev_hands_one_bank_key_to_bank_and_invoices_and_links_through_the_router(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BANK_", "INVOICES_"))}
    monkeypatch.setattr(os, "environ", environment)
    point_services_at([bank_spec()])
    link_invoices_through("http://127.0.0.1:4000")
    key = environment["BANK_API_KEYS"]
    assert key.startswith("sk_test_")
    assert environment["INVOICES_BANK_API_KEY"] == key
    assert BankSettings().require_api_keys() == [key.encode()]
    assert len(environment["INVOICES_PDF_SIGNING_KEY"]) >= 32
    assert environment["INVOICES_PUBLIC_URL"] == "http://127.0.0.1:4000/files"
    monkeypatch.setattr(os, "environ", {"BANK_API_KEYS": f"sk_test_{'b' * 24}"})
    point_services_at([bank_spec()])  # a key the developer set is the one invoices gets
    assert os.environ["INVOICES_BANK_API_KEY"] == f"sk_test_{'b' * 24}"


def test_dev_pins_one_demo_date_for_every_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Computed once, from the subscriptions clock, and handed down; an explicit one wins."""
    environment = {"SUBSCRIPTIONS_CLOCK": "fixed:2027-05-06T23:59:59Z"}
    monkeypatch.setattr(os, "environ", environment)
    pin_demo_date()
    assert environment["SWITCHBOARD_DEMO_DATE"] == "2027-05-06"
    environment["SUBSCRIPTIONS_CLOCK"] = "fixed:2027-05-07T00:00:01Z"  # past midnight now
    pin_demo_date()
    assert environment["SWITCHBOARD_DEMO_DATE"] == "2027-05-06"
    environment["SWITCHBOARD_DEMO_DATE"] = "May 6th"
    with pytest.raises(ValueError, match="SWITCHBOARD_DEMO_DATE='May 6th' is not a date"):
        pin_demo_date()


def test_dev_asks_subgraphs_and_the_bank_for_text_logs_without_access_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "environ", {"ORDERS_TELEMETRY__LOGS__FORMAT": "json"})
    human_logs()
    assert SubgraphSettings.for_service("customers").telemetry.logs.format == "text"
    assert SubgraphSettings.for_service("customers").telemetry.logs.access_log is False
    assert SubgraphSettings.for_service("orders").telemetry.logs.format == "json"  # set: kept
    assert BankSettings().logs.format == "text"
