"""Start real service processes on free ports and talk to them over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.identity import bearer, identity_headers, router_defaults, subgraph_env

ROOT = Path(__file__).resolve().parents[2]


_HANDED_OUT: set[int] = set()
_HANDING_OUT = threading.Lock()


def free_port() -> int:
    """A port nothing listens on, never the same one twice in this test process.

    The OS may offer a port again as soon as the probe socket closes; two services started
    in parallel could then race for it, and the loser's health check would be answered by
    the winner (a test talking to the wrong process).
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        with _HANDING_OUT:
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


# uvicorn closes a keep-alive connection after 5 idle seconds; httpx's default expiry is the
# same 5 s, so a request sent at that moment goes out on a socket the server is closing
# ("Server disconnected without sending a response"). Our clients let go of it first.
KEEPALIVE_EXPIRY_SECONDS = 2.0


def service_client(timeout: float = 30.0) -> httpx.Client:
    """An HTTP client for talking to our processes: idle connections expire before uvicorn's."""
    return httpx.Client(
        timeout=timeout, limits=httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS)
    )


@dataclass
class ServiceProcess:
    """A running ``switchboard`` service process; its output goes to ``log_path``.

    ``headers`` go with every request of ``client``: a subgraph's are a router token (admin),
    a test router's a bearer token (admin) when the test did not configure authentication.
    """

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    headers: dict[str, str] = field(default_factory=dict)
    client: httpx.Client = field(default_factory=lambda: service_client())

    def __post_init__(self) -> None:
        self.client.headers.update(self.headers)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.client.close()

    # GraphQL helpers -------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a GraphQL request (``headers`` over the default ones); return the body."""
        response = self.client.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        )
        assert response.status_code < 500, f"{self.name} answered {response.status_code}"
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Execute and require success; return ``data``."""
        body = self.execute(query, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error_codes(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[str]:
        """Execute and require errors; return their ``extensions.code`` values."""
        body = self.execute(query, variables, headers)
        assert body.get("errors"), f"expected errors, got {body}"
        return [e.get("extensions", {}).get("code") for e in body["errors"]]


def start_service(
    args: list[str], *, name: str, port: int, log_dir: Path, env: dict[str, str] | None = None
) -> ServiceProcess:
    """Run ``python -m switchboard ARGS`` and wait until ``/health`` answers 200.

    Every process gets the test keys (``tests.support.identity``); a router whose config sets
    no ``subgraph_auth``/``authentication`` gets the test ones, so its subgraphs trust it.
    """
    log_path = log_dir / f"{name}-{port}.log"
    headers = _with_test_security(args) if args[:1] == ["router"] else {}
    if args[:1] == ["subgraph"]:
        headers = identity_headers(args[1])
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "switchboard", *args],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **subgraph_env(), **(env or {})},
        )
    service = ServiceProcess(
        name=name,
        url=f"http://127.0.0.1:{port}",
        process=process,
        log_path=log_path,
        headers=headers,
    )
    deadline = time.monotonic() + 120  # a liveness bound: a loaded CI machine starts slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{service.log()}")
        try:
            if service.client.get(f"{service.url}/health").status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(f"{name} did not become healthy:\n{service.log()}")


def _with_test_security(args: list[str]) -> dict[str, str]:
    """Add the test keys to the router config ``args`` names (what it does not set itself);
    the headers a test's requests carry: an admin token if the test identity provider is the
    one the router trusts."""
    if "--config" not in args:
        return {}
    path = Path(args[args.index("--config") + 1])
    config = yaml.safe_load(path.read_text()) or {}
    defaults = router_defaults()
    added = {k: v for k, v in defaults.items() if k not in config}
    if added:
        path.write_text(yaml.safe_dump({**config, **added}))
    return bearer() if "authentication" in added else {}


CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused


def isolated(name: str) -> dict[str, str]:
    """Settings that keep a test's subgraph from calling whatever runs on the default ports
    (a developer's `make run`): peers, bank and SMTP point at a closed port."""
    prefix = name.upper()
    return {
        f"{prefix}_INVOICES_URL": f"{CLOSED}/graphql",
        f"{prefix}_CUSTOMERS_URL": f"{CLOSED}/graphql",
        f"{prefix}_SMTP_PORT": "9",
        "INVOICES_BANK_URL": CLOSED,
    }


def start_subgraph(
    name: str,
    database_url: str,
    log_dir: Path,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> ServiceProcess:
    port = port or free_port()
    return start_service(
        ["subgraph", name, "--port", str(port), "--database-url", database_url, "--seed"],
        name=name,
        port=port,
        log_dir=log_dir,
        env={**isolated(name), **(env or {})},
    )


AUXILIARY_PORT_VARIABLES = ("BANK_PORT", "MAILSINK_PORT", "MAILSINK_HTTP_PORT")


def auxiliary_ports(env: dict[str, str]) -> dict[str, str]:
    """``env`` with free ports for the dev loop's bank and mail sink (and nothing aimed at
    fixed ports from the caller's environment)."""
    env = dict(env)
    for variable in AUXILIARY_PORT_VARIABLES:
        env[variable] = str(free_port())
    env.pop("INVOICES_BANK_URL", None)
    for name in ("CUSTOMERS", "ORDERS", "INVOICES", "SUBSCRIPTIONS"):
        env.pop(f"{name}_SMTP_PORT", None)
    return env
