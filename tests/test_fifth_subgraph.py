"""docs/fifth-subgraph.md, followed literally in a scratch copy; then the dev loop's hot reload.

The guide marks each step with an HTML comment (``<!-- guide: ACTION [PATH] -->``) before a
fenced block: ``write`` a file, ``replace-definitions`` (top-level assignments, classes or
functions of the same name) in a file, ``append`` to a file, ``run`` shell commands,
``run-dev`` (``make run``: its install part is checked by ``make -n run``; the test starts
``switchboard dev``, which is what it runs), ``query`` the router and expect ``response``.
The copy holds the four packages and links the shared ``.venv``; ``PYTHONPATH`` makes the
copy's packages win over the editable install, so nothing in the working tree changes.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import AUXILIARY_PORT_VARIABLES, ROOT, auxiliary_ports, free_port

GUIDE = ROOT / "docs" / "fifth-subgraph.md"
PACKAGES = ("switchboard", "subgraphs", "schema", "router", "sandbox")
SERVICES = ("customers", "orders", "invoices", "subscriptions", "loyalty")
STEP = re.compile(
    r"<!-- guide: (?P<action>[\w-]+)(?: (?P<path>\S+))? -->\n```\w*\n(?P<body>.*?)```", re.S
)
WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class Step:
    action: str
    path: str | None
    body: str


def guide_steps() -> list[Step]:
    return [Step(m["action"], m["path"], m["body"]) for m in STEP.finditer(GUIDE.read_text())]


def scratch_copy(tmp: Path) -> Path:
    """The repository's Python packages (no node_modules: no GraphiQL assets), and its .venv."""
    repo = tmp / "repo"
    for package in (p for p in PACKAGES if (ROOT / p).is_dir()):
        shutil.copytree(
            ROOT / package,
            repo / package,
            ignore=shutil.ignore_patterns("node_modules", "__pycache__", "*.pyc"),
        )
    (repo / ".venv").symlink_to(ROOT / ".venv")
    return repo


def copy_env(repo: Path, tmp: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(repo), "SWITCHBOARD_DATA_DIR": str(tmp / "data")}
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(free_port())
        env.pop(f"{name.upper()}_DATABASE_URL", None)
    env["SWITCHBOARD_ROUTER_PORT"] = str(free_port())
    return auxiliary_ports(env)


def replace_definitions(path: Path, block: str) -> None:
    """Replace each top-level definition in ``block`` with the same-named one in ``path``."""
    new_lines = block.splitlines(keepends=True)
    for new in ast.parse(block).body:
        source = path.read_text()
        old = [n for n in ast.parse(source).body if _defined_name(n) == _defined_name(new)]
        assert len(old) == 1, f"{path} should define {_defined_name(new)} exactly once"
        first, last = _span(old[0])
        lines = source.splitlines(keepends=True)
        new_first, new_last = _span(new)
        replacement = new_lines[new_first - 1 : new_last]
        path.write_text("".join([*lines[: first - 1], *replacement, *lines[last:]]))


def _span(node: ast.stmt) -> tuple[int, int]:
    """First and last line of ``node``, decorators included."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)]), node.end_lineno or node.lineno


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return node.name
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def apply(step: Step, repo: Path, env: dict[str, str]) -> None:
    target = repo / step.path if step.path else repo
    if step.action == "write":
        assert not target.exists(), f"the guide writes {step.path}, which exists already"
        target.write_text(step.body)
    elif step.action == "replace-definitions":
        replace_definitions(target, step.body)
    elif step.action == "append":
        with target.open("a") as handle:
            handle.write(step.body)
    elif step.action == "run":
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", step.body],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{step.body}\n{result.stdout}\n{result.stderr}"
    else:
        raise AssertionError(f"unknown guide action {step.action!r}")


class DevSession:
    """``switchboard dev`` running in the copy; its stdout and stderr go to files."""

    def __init__(self, repo: Path, env: dict[str, str], tmp: Path) -> None:
        self.repo = repo
        self.env = env
        self.out_path, self.err_path = tmp / "dev.out", tmp / "dev.err"
        self.router = f"http://127.0.0.1:{env['SWITCHBOARD_ROUTER_PORT']}/graphql"
        self.supergraph = Path(env["SWITCHBOARD_DATA_DIR"]) / "supergraph.graphql"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "switchboard", "dev"],
                cwd=repo,
                env=env,
                stdout=out,
                stderr=err,
            )
        self.client = httpx.Client(timeout=30.0)

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def mark(self) -> int:
        return len(self.output())

    def wait_for(self, pattern: str, after: int = 0) -> str:
        """The first output line after offset ``after`` that matches ``pattern``."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            for line in self.output()[after:].splitlines():
                if re.search(pattern, line):
                    return line
            assert self.process.poll() is None, self.output() + self.err_path.read_text()
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.output()[after:]}"
            time.sleep(0.2)

    def query(self, query: str) -> dict[str, Any]:
        """As support staff (the guide's queries read customers), with this run's dev key."""
        from switchboard.devkeys import DevKeys

        keys = DevKeys(Path(self.env["SWITCHBOARD_DATA_DIR"]) / "keys")
        token = keys.token("staff-guide", ["support:read"])
        headers = {"authorization": f"Bearer {token}"}
        body: dict[str, Any] = self.client.post(
            self.router, json={"query": query}, headers=headers
        ).json()
        return body

    def query_until_valid(self, query: str) -> dict[str, Any]:
        """Ask until the router has swapped in a supergraph where ``query`` validates."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            body = self.query(query)
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            if "GRAPHQL_VALIDATION_FAILED" not in codes:
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.2)

    def stop(self) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Guided:
    session: DevSession
    after_start: list[Step]


@pytest.fixture(scope="module")
def guided(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Guided]:
    """The guide's steps up to ``make run``, then ``switchboard dev`` in the copy."""
    tmp = tmp_path_factory.mktemp("fifth")
    repo = scratch_copy(tmp)
    env = copy_env(repo, tmp)
    steps = guide_steps()
    run_dev = next(i for i, s in enumerate(steps) if s.action == "run-dev")
    assert steps[run_dev].body.strip() == "make run"
    for step in steps[:run_dev]:
        apply(step, repo, env)
    session = DevSession(repo, env, tmp)
    try:
        session.wait_for(r"^Switchboard is up")
        yield Guided(session, steps[run_dev + 1 :])
    finally:
        code = session.stop()
    assert code == 0, session.output()
    ports = [int(env[f"{n.upper()}_PORT"]) for n in SERVICES] + [
        int(env[variable]) for variable in ("SWITCHBOARD_ROUTER_PORT", *AUXILIARY_PORT_VARIABLES)
    ]
    assert not any(listening(p) for p in ports), "a process was left listening"


def _pairs(steps: list[Step]) -> list[tuple[str, Any]]:
    queries = [s.body for s in steps if s.action == "query"]
    responses = [json.loads(s.body) for s in steps if s.action == "response"]
    assert len(queries) == len(responses) > 0
    return list(zip(queries, responses, strict=True))


@pytest.mark.slow
def test_make_run_is_switchboard_dev() -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("/switchboard dev")


@pytest.mark.slow
def test_the_guide_composes_and_the_router_serves_the_fifth_subgraph(guided: Guided) -> None:
    repo = guided.session.repo
    assert list((repo / "subgraphs/loyalty/migrations/versions").glob("*_initial_schema.py"))
    assert "type LoyaltyAccount" in (repo / "schema/subgraphs/loyalty.graphql").read_text()
    composed = (repo / "schema/supergraph.graphql").read_text()
    assert 'LOYALTY @join__graph(name: "loyalty"' in composed
    port = guided.session.env["LOYALTY_PORT"]
    assert f"loyalty        http://127.0.0.1:{port}/graphql" in guided.session.output()
    query, response = _pairs(guided.after_start)[0]
    assert guided.session.query(query) == response


@pytest.mark.slow
def test_a_saved_change_is_recomposed_and_served(guided: Guided) -> None:
    """Step 6: the service restarts, the supergraph file is rewritten, the router swaps it in."""
    session = guided.session
    edit = next(s for s in guided.after_start if s.action == "replace-definitions")
    before = session.supergraph.read_text()
    mark = session.mark()
    apply(edit, session.repo, session.env)
    session.wait_for(r"^dev +\| loyalty: subgraphs/loyalty/types\.py changed, restarting", mark)
    session.wait_for(r"^dev +\| recomposed .*supergraph\.graphql after a change in loyalty", mark)
    after = session.supergraph.read_text()
    assert "tier: String!" not in before
    assert "tier: String!" in after
    query, response = _pairs(guided.after_start)[1]
    assert session.query_until_valid(query) == response


@pytest.mark.slow
def test_a_change_that_does_not_compose_keeps_the_previous_supergraph(guided: Guided) -> None:
    session = guided.session
    types = session.repo / "subgraphs/loyalty/types.py"
    good = types.read_text()
    before = session.supergraph.read_bytes()
    mark = session.mark()
    types.write_text(good.replace("    id: strawberry.ID\n", "    id: int\n", 1))
    line = session.wait_for(r"^dev +\| composition failed", mark)
    assert "the router keeps the previous supergraph" in line
    assert "FIELD_TYPE_MISMATCH" in line
    assert "Customer.id" in line
    assert session.supergraph.read_bytes() == before
    query, response = _pairs(guided.after_start)[0]
    assert session.query(query) == response  # still served from the previous supergraph
    mark = session.mark()
    types.write_text(good)
    session.wait_for(r"^dev +\| the subgraphs compose again", mark)
    assert session.supergraph.read_bytes() == before


@pytest.mark.slow
def test_a_missing_dependency_is_one_line_and_the_service_restarts_on_save(
    guided: Guided,
) -> None:
    session = guided.session
    types = session.repo / "subgraphs/loyalty/types.py"
    good = types.read_text()
    mark = session.mark()
    types.write_text(good.replace("import strawberry\n", "import strawberry\nimport lylty_sdk\n"))
    line = session.wait_for(r"^dev +\| loyalty cannot start", mark)
    assert "Python module 'lylty_sdk' is missing: run `make install`" in line
    assert "dev restarts loyalty" in line
    query, response = _pairs(guided.after_start)[0]
    assert session.query(query)["data"]["customers"]["nodes"][0]["name"] == "Ada Lovelace"
    mark = session.mark()
    types.write_text(good)
    session.wait_for(r"^loyalty +\| .*Application startup complete", mark)
    assert session.query(query) == response


@pytest.mark.slow
def test_missing_graphiql_assets_are_one_warning_line(guided: Guided) -> None:
    """The copy has no node_modules: the dev loop says how to get GraphiQL, and carries on."""
    lines = guided.session.err_path.read_text().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("switchboard dev: warning: GraphiQL's browser assets are missing")
    assert "run `make install` (needs Node.js and npm)" in lines[0]
