"""A production-mode router over real subgraphs, and what the attack tests measure around it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from subgraphs.registry import SERVICES
from tests.support.databases import fresh_database
from tests.support.processes import ROOT, ServiceProcess, free_port, start_service, start_subgraph

SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"


@dataclass
class Subgraphs:
    processes: dict[str, ServiceProcess]

    def urls(self, **overrides: str) -> dict[str, str]:
        urls = {name: f"{p.url}/graphql" for name, p in self.processes.items()}
        return {**urls, **overrides}


@contextmanager
def running_subgraphs(tmp: Path, *, wired: bool = False) -> Iterator[Subgraphs]:
    """The four subgraphs, each on a fresh seeded SQLite database. Unwired, every peer, the
    bank and SMTP are a closed port; ``wired``, the subgraphs call each other and a real
    sandbox bank, so mutations that move money or span services complete."""
    with ExitStack() as exits:
        ports = {name: free_port() for name in SERVICES}
        wiring = _wiring(tmp, ports, exits) if wired else {}
        processes = {}
        for name in SERVICES:
            url = exits.enter_context(fresh_database("sqlite", name, tmp))
            processes[name] = start_subgraph(name, url, tmp, wiring.get(name), ports[name])
            exits.callback(processes[name].stop)
        yield Subgraphs(processes)


def _wiring(tmp: Path, ports: dict[str, int], exits: ExitStack) -> dict[str, dict[str, str]]:
    """Each subgraph's settings for a wired stack; starts the bank they charge."""
    from tests.subgraphs.invoices.payments_stack import BANK_API_KEY, PDF_SIGNING_KEY

    bank_port = free_port()
    bank = start_service(
        ["bank", "--port", str(bank_port), "--database-url", f"sqlite+aiosqlite:///{tmp}/bank.db"],
        name="bank",
        port=bank_port,
        log_dir=tmp,
        env={"BANK_API_KEYS": BANK_API_KEY},
    )
    exits.callback(bank.stop)
    peers = {
        f"{name.upper()}_{peer.upper()}_URL": f"http://127.0.0.1:{ports[peer]}/graphql"
        for name in SERVICES
        for peer in ("customers", "invoices")
    }
    invoices = {
        "INVOICES_BANK_URL": bank.url,
        "INVOICES_BANK_API_KEY": BANK_API_KEY,
        "INVOICES_PDF_SIGNING_KEY": PDF_SIGNING_KEY,
        "INVOICES_ORDERS_URL": f"http://127.0.0.1:{ports['orders']}",
        "INVOICES_WEBHOOKS_ALLOW_PRIVATE": "true",  # endpoints on 127.0.0.1:9, never delivered
    }
    clock = {"SUBSCRIPTIONS_CLOCK": f"manual:{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"}  # setClock
    return {
        name: {**peers, **clock, **(invoices if name == "invoices" else {})} for name in SERVICES
    }


def start_router(tmp: Path, urls: dict[str, str], **settings: Any) -> ServiceProcess:
    """A router in production mode (``dev: false``) with ``settings`` on top."""
    port = free_port()
    config = tmp / f"router-{port}.yaml"
    config.write_text(yaml.safe_dump({"dev": False, "subgraph_urls": urls, **settings}))
    return start_service(
        ["router", "--supergraph", str(SUPERGRAPH), "--config", str(config), "--port", str(port)],
        name="router",
        port=port,
        log_dir=tmp,
    )


def rss_mb(process: ServiceProcess) -> float:
    """Resident memory of the router process, from /proc."""
    status = Path(f"/proc/{process.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


@dataclass
class HealthProbe:
    """Asks ``/health`` over and over on its own thread while an attack runs."""

    url: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> HealthProbe:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        deadline = time.monotonic() + 30
        while not self.latencies and not self.failures and time.monotonic() < deadline:
            time.sleep(0.01)  # a quick attack: still see one answer
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                try:
                    ok = client.get(f"{self.url}/health").status_code == 200
                except httpx.HTTPError as exc:
                    self.failures.append(type(exc).__name__)
                    continue
                self.latencies.append(time.perf_counter() - started)
                if not ok:
                    self.failures.append("status")
                self._stop.wait(0.02)

    def report(self) -> str:
        worst = max(self.latencies, default=0.0) * 1000
        return f"/health: {len(self.latencies)} answers, slowest {worst:.0f} ms"


def post(router: ServiceProcess, query: str, **extra: Any) -> httpx.Response:
    body = {"query": query, **extra}
    return router.client.post(f"{router.url}/graphql", json=body, timeout=120)


def codes(response: httpx.Response) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in response.json().get("errors", [])]


class BlackHole:
    """A TCP server that accepts connections and never answers: a hung subgraph."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port: int = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()
