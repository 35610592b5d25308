"""README.md does what it says: every command runs, every example answers as shown.

Fenced blocks are marked with an HTML comment on the line before them:
``<!-- readme: commands -->`` (shell; every shell block must be marked),
``<!-- readme: commands postgres -->`` (shell, needs PostgreSQL), ``<!-- readme: query -->``
(GraphQL sent to the router), ``<!-- readme: response -->`` (the JSON the previous command
or query answers) and ``<!-- readme: output -->`` (the exact stdout of the previous command).
Two variants: ``<!-- readme: response with new ids -->`` is a response in which ids and
invoice numbers the README has not shown before stand for whatever the services generated
(``ord_01M7…`` matches any ``ord_`` id; see ``Generated``), and
``<!-- readme: output eventually -->`` is output the previous command reaches within a
minute when run again (e-mails are delivered in the background).

Commands run in order against one ``make run``. ``make run`` itself is checked to be
``switchboard dev`` (``make -n run``) and the test starts ``switchboard dev`` on free ports
and a temporary data directory, so it does not touch the shared ``.venv`` or ``./data``; the
README's ports (4000-4004, the bank's 4010, the mail sink's 4025 and 4026) and ``data/``
paths are rewritten to those. ``make test`` and other targets cannot run inside a test:
``make -n TARGET`` must succeed. The services run at the real clock, as ``make run`` does:
the demo data is seeded relative to today, so the README's ``runBillingCycle`` finds the
same periods to bill whatever the date.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url

from sandbox.bank.settings import DEFAULT_PORT as BANK_PORT
from sandbox.bank.settings import BankSettings
from sandbox.mail.sink import DEFAULT_HTTP_PORT as MAIL_PAGE_PORT
from sandbox.mail.sink import DEFAULT_PORT as MAIL_PORT
from subgraphs.common.settings import DEFAULT_PORTS, SubgraphSettings
from subgraphs.invoices.config import PaymentSettings
from subgraphs.registry import SERVICES
from switchboard.cli import build_parser
from switchboard.devkeys import DevKeys
from tests.support.databases import POSTGRES_ENV
from tests.support.identity import HEADER, router_token
from tests.support.processes import ROOT, auxiliary_ports, free_port

README = ROOT / "README.md"
BLOCK = re.compile(
    r"(?:<!-- readme: (?P<marker>[\w ]+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)
SHELL = {"sh", "bash", "shell", "console"}
MARKERS = {
    "commands",
    "commands postgres",
    "query",
    "response",
    "response with new ids",
    "output",
    "output eventually",
}
README_ROUTER_PORT = 4000
# The README's ports of the processes `make run` starts besides the services, and the
# variables that move them.
AUXILIARY_PORTS = {
    BANK_PORT: "BANK_PORT",
    MAIL_PORT: "MAILSINK_PORT",
    MAIL_PAGE_PORT: "MAILSINK_HTTP_PORT",
}
# What `make run` prints for them (with the README's ports), which the README shows too.
AUXILIARY_URLS = (
    f"http://127.0.0.1:{BANK_PORT}",
    f"smtp://127.0.0.1:{MAIL_PORT}",
    f"http://127.0.0.1:{MAIL_PAGE_PORT}/",
)
# Prefixes of the environment variables the services, the bank, the sink and `make run` read.
VARIABLE = re.compile(
    rf"\b(?:{'|'.join(n.upper() for n in SERVICES)}|BANK|MAILSINK|SWITCHBOARD|TEST)"
    r"_[A-Z0-9_]*[A-Z0-9]\b"
)
README_DATA = re.compile(r"(?<![\w./-])data/")  # the README's ./data, in a command
EVENTUALLY_SECONDS = 60
# Values the services generate, which the README cannot know: ids (`ord_01M7Y22Y7X8PSRMWR86SEA`),
# invoice numbers (`INV-2026-000073`, numbered per year) and the expiry and signature of a
# signed link (`expires=1796300000&signature=<64 hex>`).
GENERATED = re.compile(
    r"\b(?:[a-z]{2,4}_[0-9A-Z]{22}|INV-\d{4}-\d{6}|expires=\d{10}&signature=[0-9a-f]{64})\b"
)


@dataclass(frozen=True)
class Block:
    marker: str | None
    lang: str
    body: str


def readme_blocks() -> list[Block]:
    return [Block(m["marker"], m["lang"], m["body"]) for m in BLOCK.finditer(README.read_text())]


def shell_commands(body: str) -> list[str]:
    """The block's commands: continuation lines joined, blank lines dropped."""
    return [c.strip() for c in body.replace("\\\n", " ").splitlines() if c.strip()]


def split_command(command: str) -> tuple[dict[str, str], list[str]]:
    """Leading ``NAME=value`` assignments, and the words after them (comments removed)."""
    words = shlex.split(command, comments=True)
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def make_target(words: list[str]) -> str | None:
    return words[1] if len(words) == 2 and words[0] == "make" else None


def _any_like(value: str) -> str:
    """A pattern matching every generated value of ``value``'s kind."""
    if value.startswith("INV-"):
        return r"INV-\d{4}-\d{6}"
    if value.startswith("expires="):
        return r"expires=\d{10}&signature=[0-9a-f]{64}"
    return value.split("_", 1)[0] + "_[0-9A-Z]{22}"


class Generated:
    """The generated values the README shows, bound to the ones this run generated.

    In a ``response with new ids`` block, a value the README has not bound yet stands for
    any value of its kind and is bound to the one the service answered; each README value
    binds to a different answer. From then on the README's value means the bound one: it
    is replaced in commands and queries, and answers must show exactly it. Values a command
    or query sent (the demo data's ids) are bound to themselves; values bound nowhere are
    compared as they are.
    """

    def __init__(self) -> None:
        self.bound: dict[str, str] = {}

    def see(self, text: str) -> None:
        """Values the README sends in a command or query are known ones, not new ones."""
        for value in GENERATED.findall(text):
            self.bound.setdefault(value, value)

    def apply(self, text: str) -> str:
        return GENERATED.sub(lambda m: self.bound.get(m[0], m[0]), text)

    def match(self, shown: Any, actual: Any, *, new: bool = False) -> bool:
        """Whether ``actual`` is ``shown`` (JSON values or text); if so, keep new bindings."""
        bound = dict(self.bound)
        if not _match(shown, actual, bound, new):
            return False
        fresh = [value for name, value in bound.items() if name not in self.bound]
        if len(set(fresh)) < len(fresh) or set(fresh) & set(self.bound.values()):
            return False  # two README values for one generated value
        self.bound = bound
        return True


def _match(shown: Any, actual: Any, bound: dict[str, str], new: bool) -> bool:
    if isinstance(shown, dict):
        return (
            isinstance(actual, dict)
            and shown.keys() == actual.keys()
            and all(_match(shown[key], actual[key], bound, new) for key in shown)
        )
    if isinstance(shown, list):
        return (
            isinstance(actual, list)
            and len(shown) == len(actual)
            and all(_match(s, a, bound, new) for s, a in zip(shown, actual, strict=True))
        )
    if isinstance(shown, str) and isinstance(actual, str):
        return _match_text(shown, actual, bound, new)
    return type(shown) is type(actual) and shown == actual


def _match_text(shown: str, actual: str, bound: dict[str, str], new: bool) -> bool:
    pattern, end = "", 0
    groups: dict[str, str] = {}  # README value -> its group in the pattern
    for found in GENERATED.finditer(shown):
        value = found[0]
        pattern += re.escape(shown[end : found.start()])
        end = found.end()
        if value in bound:
            pattern += re.escape(bound[value])
        elif value in groups:
            pattern += f"(?P={groups[value]})"
        elif new:
            groups[value] = f"g{len(groups)}"
            pattern += f"(?P<{groups[value]}>{_any_like(value)})"
        else:
            pattern += re.escape(value)
    matched = re.fullmatch(pattern + re.escape(shown[end:]), actual)
    if matched is not None:
        bound.update({value: matched[group] for value, group in groups.items()})
    return matched is not None


class Stack:
    """``switchboard dev`` as ``make run`` runs it, on free ports the README's are mapped to."""

    def __init__(self, tmp: Path, extra_env: dict[str, str] | None = None) -> None:
        self.ports = {README_ROUTER_PORT: free_port()}
        self.data = tmp / "data"
        self.env = {**os.environ, "SWITCHBOARD_DATA_DIR": str(self.data)}
        for name in SERVICES:
            port = free_port()
            self.ports[DEFAULT_PORTS[name]] = port
            self.env[f"{name.upper()}_PORT"] = str(port)
            self.env.pop(f"{name.upper()}_DATABASE_URL", None)
        self.env["SWITCHBOARD_ROUTER_PORT"] = str(self.ports[README_ROUTER_PORT])
        self.env = auxiliary_ports(self.env)
        self.auxiliary = {port: int(self.env[name]) for port, name in AUXILIARY_PORTS.items()}
        # the real clock, and the demo day and bank seeding `make run` chooses
        for variable in ("SUBSCRIPTIONS_CLOCK", "SWITCHBOARD_DEMO_DATE", "BANK_SEED_DEMO"):
            self.env.pop(variable, None)
        self.env.update(extra_env or {})
        self.log = tmp / "dev.log"
        self._admin_token = ""
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "switchboard", "dev"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while "Switchboard is up" not in self.log.read_text(errors="replace"):
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.2)

    def localize(self, text: str) -> str:
        """``text`` with the README's 127.0.0.1 ports and ``data/`` replaced by this stack's."""
        for readme_port, port in {**self.ports, **self.auxiliary}.items():
            text = text.replace(f"127.0.0.1:{readme_port}", f"127.0.0.1:{port}")
        return README_DATA.sub(f"{self.data}/", text)

    def run(self, command: str) -> str:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", self.localize(command)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def admin_token(self) -> str:
        """What the README's queries are sent with: `switchboard token --scope admin`."""
        if not self._admin_token:
            self._admin_token = self.run(".venv/bin/switchboard token --scope admin").strip()
        return self._admin_token

    def query(self, query: str) -> str:
        url = f"http://127.0.0.1:{self.ports[README_ROUTER_PORT]}/graphql"
        headers = {"authorization": f"Bearer {self.admin_token()}"}
        response = httpx.post(
            url, json={"query": self.localize(query)}, headers=headers, timeout=30
        )
        assert response.status_code < 500, response.text
        return response.text

    def stop(self) -> None:
        """Ctrl-C: everything stops, and nothing is left listening."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        assert self.process.returncode == 0, self.log.read_text()
        for port in [*self.ports.values(), *self.auxiliary.values()]:
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still listening"


def _walk(blocks: list[Block], stack: Stack) -> int:
    """Run ``blocks`` in order against ``stack``; return how many checks were made."""
    walk = Walk(stack)
    for block in blocks:
        walk.step(block)
    _check_no_errors(walk.unshown)
    return walk.checks


@dataclass
class Walk:
    """The README, run block by block. An answer with ``errors`` must be shown in a
    response block right after it."""

    stack: Stack
    generated: Generated = field(default_factory=Generated)
    checks: int = 0
    command: str = ""  # the last command run
    last: str = ""  # what the last command or query printed
    unshown: str = ""  # ... until a response or output block shows it

    def step(self, block: Block) -> None:
        if block.marker in {"query", "commands"}:
            self.generated.see(block.body)
        if block.marker == "query":
            self._answer(self.stack.query(self.generated.apply(block.body)))
        elif block.marker == "commands":
            for command in shell_commands(block.body):
                target = make_target(split_command(command)[1])
                if target is None:
                    self.command = self.generated.apply(command)
                    self._answer(self.stack.run(self.command))
                elif target != "run":  # `make run` is the stack itself
                    _check_make_target(target)
                self.checks += 1
        elif block.marker in {"response", "response with new ids"}:
            shown = json.loads(self.stack.localize(block.body))
            new = block.marker == "response with new ids"
            assert self.generated.match(shown, json.loads(self.last), new=new), self.last
            self._shown()
        elif block.marker in {"output", "output eventually"}:
            shown = self.stack.localize(block.body)
            if block.marker == "output eventually":
                self._until_output(shown)
            assert self.generated.match(shown, self.last), self.last
            self._shown()

    def _answer(self, text: str) -> None:
        _check_no_errors(self.unshown)
        self.last = self.unshown = text

    def _shown(self) -> None:
        self.unshown = ""
        self.checks += 1

    def _until_output(self, shown: str) -> None:
        """Run the last command again until it prints ``shown`` (or a minute has passed)."""
        deadline = time.monotonic() + EVENTUALLY_SECONDS
        while not self.generated.match(shown, self.last) and time.monotonic() < deadline:
            time.sleep(0.5)
            self.last = self.unshown = self.stack.run(self.command)


def _check_no_errors(output: str) -> None:
    try:
        body = json.loads(output)
    except ValueError:
        return
    assert not (isinstance(body, dict) and "errors" in body), output


def _check_make_target(target: str) -> None:
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"make -n {target}: {result.stderr}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("readme"))
    try:
        yield running
    finally:
        running.stop()


def test_every_shell_block_is_marked_and_understood() -> None:
    blocks = readme_blocks()
    shell = [b for b in blocks if b.lang in SHELL]
    assert shell, "the README shows no commands?"
    for block in shell:
        assert block.marker in {"commands", "commands postgres"}, block.body
        for command in shell_commands(block.body):
            split_command(command)  # parses as shell words
    markers = {b.marker for b in blocks if b.marker}
    assert markers <= MARKERS, markers - MARKERS
    rest = [b for b in shell if "127.0.0.1:4000/v1/" in b.body]
    assert len(rest) >= 4, "the REST API's examples are run against `make run` too"
    quick_start = [c for b in shell[:1] for c in shell_commands(b.body)]
    assert [split_command(c)[1] for c in quick_start] == [["make", "run"], ["make", "test"]]


def test_make_run_runs_switchboard_dev_and_make_test_runs_pytest() -> None:
    run = subprocess.run(
        ["make", "--no-print-directory", "-n", "run"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == ".venv/bin/switchboard dev"
    test = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"], cwd=ROOT, capture_output=True, text=True
    )
    assert test.returncode == 0, test.stderr
    assert test.stdout.strip().splitlines()[-1].split()[0] == ".venv/bin/pytest"


def test_make_targets_mentioned_exist() -> None:
    targets = set(re.findall(r"`make (\w+)`", README.read_text()))
    assert {"run", "test", "lint"} <= targets
    for target in sorted(targets):
        _check_make_target(target)


def test_commands_table_matches_the_cli() -> None:
    """Each `switchboard …` synopsis names a real command and only options it has."""
    rows = re.findall(r"^\| `(switchboard [^`]+)` \|", README.read_text(), re.M)
    assert len(rows) >= 8
    parser = build_parser()
    for row in rows:
        words = row.split()[1:]
        command = [w for w in words if re.fullmatch(r"[a-z][a-z-]*", w)]
        options = [w.strip("[]") for w in words if w.lstrip("[").startswith("-")]
        sub = _subparser(parser, command)
        known = {o for action in sub._actions for o in action.option_strings}
        assert set(options) <= known, f"{row}: unknown {set(options) - known}"


def _subparser(parser: Any, path: list[str]) -> Any:
    for name in path:
        choices = next(a.choices for a in parser._actions if getattr(a, "choices", None))
        assert name in choices, f"no `{name}` command"
        parser = choices[name]
    return parser


def test_linked_files_exist() -> None:
    links = re.findall(r"\]\(((?!https?:)[^)#]+)\)", README.read_text())
    assert "docs/configuration.md" in links
    assert "docs/fifth-subgraph.md" in links
    for link in links:
        assert (ROOT / link).exists(), link


def test_environment_variables_mentioned_exist() -> None:
    """Every `NAME_SETTING` the README mentions is read by something: no stale names."""
    known = {
        f"{name.upper()}_{field.upper()}"
        for name in SERVICES
        for field in SubgraphSettings.model_fields
        if field != "name"
    }
    known |= {f"INVOICES_{field.upper()}" for field in PaymentSettings.model_fields}
    known |= {f"BANK_{field.upper()}" for field in BankSettings.model_fields}
    sources = [ROOT / "docs" / "configuration.md", ROOT / "tests" / "support" / "databases.py"]
    for package in ("switchboard", "subgraphs", "sandbox", "router"):
        sources += (ROOT / package).rglob("*.py")
    read = "\n".join(path.read_text() for path in sources)  # names read literally
    mentioned = set(VARIABLE.findall(README.read_text()))
    assert {"INVOICES_BANK_URL", "SUBSCRIPTIONS_ROUTER_PUBLIC_KEYS"} <= mentioned
    assert sorted(name for name in mentioned if name not in known and name not in read) == []


@pytest.mark.slow
def test_make_run_prints_every_url_prefixes_logs_and_composes_live(stack: Stack) -> None:
    output = stack.log.read_text(errors="replace")
    for readme_port, port in stack.ports.items():
        assert f"http://127.0.0.1:{readme_port}/graphql" in README.read_text()
        assert f"http://127.0.0.1:{port}/graphql" in output
    for url in AUXILIARY_URLS:  # the bank and the mail sink, in the table and the banner
        assert url in README.read_text(), url
        assert stack.localize(url) in output, url
    for name in (*SERVICES, "router", "bank", "mail"):
        assert re.search(rf"^{name} +\| ", output, re.M), f"no line prefixed with {name}"
    supergraph = Path(stack.env["SWITCHBOARD_DATA_DIR"]) / "supergraph.graphql"
    orders_port = stack.ports[DEFAULT_PORTS["orders"]]
    assert f'url: "http://127.0.0.1:{orders_port}/graphql"' in supergraph.read_text()
    router_key = serialization.load_pem_private_key(
        DevKeys(stack.data / "keys").router_key.read_bytes(), password=None
    )
    assert isinstance(router_key, Ed25519PrivateKey)
    seeded = httpx.post(
        f"http://127.0.0.1:{stack.ports[DEFAULT_PORTS['customers']]}/graphql",
        json={"query": "{ customers(first: 3) { nodes { id } } }"},
        headers={HEADER: router_token("customers", key=router_key)},  # signed as this run's router
        timeout=30,
    ).json()
    assert len(seeded["data"]["customers"]["nodes"]) == 3  # demo data, straight from a subgraph
    router = f"http://127.0.0.1:{stack.ports[README_ROUTER_PORT]}/graphql"
    page = httpx.get(router, headers={"accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "graphiql" in page.text.lower()  # "Open http://127.0.0.1:4000/graphql in a browser"
    rest = stack.ports[README_ROUTER_PORT]
    assert f"http://127.0.0.1:{rest}/v1/" in output  # the REST API's line of the banner
    reference = httpx.get(f"http://127.0.0.1:{rest}/docs", timeout=30)
    assert reference.status_code == 200
    assert "/v1/customers/{id}" in reference.text


@pytest.mark.slow
def test_every_command_and_example_against_make_run(stack: Stack) -> None:
    blocks = [b for b in readme_blocks() if b.marker != "commands postgres"]
    assert _walk(blocks, stack) >= 10


def _postgres_block() -> Block:
    return next(b for b in readme_blocks() if b.marker == "commands postgres")


def _first_example() -> list[Block]:
    """The first query in the README (a command) and the response it shows."""
    blocks = readme_blocks()
    first = next(i for i, b in enumerate(blocks) if b.marker == "response")
    return blocks[first - 1 : first + 1]


if os.environ.get(POSTGRES_ENV):  # CI sets it; like the `backend` fixture, SQLite otherwise

    @pytest.mark.slow
    @pytest.mark.postgres
    def test_the_postgres_commands_serve_the_same_answers(tmp_path: Path) -> None:
        server = make_url(os.environ[POSTGRES_ENV])
        prefix = f"sb_readme_{uuid.uuid4().hex[:8]}_"
        text = (
            _postgres_block()
            .body.replace("switchboard_", prefix)
            .replace("-h 127.0.0.1 -U postgres", f"-h {server.host} -U {server.username}")
            .replace("postgres@127.0.0.1:5432", f"{server.username}@{server.host}:{server.port}")
        )
        *setup, serve = shell_commands(text)
        env, words = split_command(serve)
        assert words == ["make", "run"]
        assert set(env) == {f"{name.upper()}_DATABASE_URL" for name in SERVICES}
        for command in setup:
            subprocess.run(["bash", "-c", command], check=True, timeout=60)
        try:
            stack = Stack(tmp_path, extra_env=env)
            try:
                assert _walk(_first_example(), stack) == 2
            finally:
                stack.stop()
        finally:
            for name in SERVICES:
                subprocess.run(
                    ["dropdb", "--force", "-h", str(server.host), "-U", str(server.username),
                     f"{prefix}{name}"],
                    check=True,
                    timeout=60,
                )  # fmt: skip
