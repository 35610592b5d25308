"""A whole paying Switchboard for end-to-end tests, every part a real process.

The SMTP sink (``switchboard mailsink``), the sandbox bank, the four subgraphs wired to each
other (orders and subscriptions → invoices and customers; invoices → bank, customers and
orders, told of settled invoices; every outbox → the sink), optionally more processes of a
service on the same database (``replicas``; the i-th orders or subscriptions process calls
the i-th invoices process), and the router (propagating ``X-Admin-Token`` to
subscriptions). Every process seeds the demo data as of one day, the subscriptions
clock's (``SWITCHBOARD_DEMO_DATE``, as ``switchboard dev`` sets it), the bank included.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import yaml

from sandbox.mail.sink import read_messages
from subgraphs.common.clock import parse_clock
from subgraphs.common.demo import DATE_VARIABLE
from tests.subgraphs.invoices.payments_stack import BANK_API_KEY, BANK_AUTH, PDF_SIGNING_KEY
from tests.support.databases import fresh_database
from tests.support.processes import ROOT, ServiceProcess, free_port, start_service

Launch = Callable[[int, dict[str, str]], ServiceProcess]  # (port, extra env) → a process
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
SERVICES = ("customers", "invoices", "orders", "subscriptions")


@dataclass
class PaymentStack:
    tmp: Path
    mail_dir: Path
    bank_url: str
    services: dict[str, ServiceProcess]
    router: ServiceProcess | None
    replicas: dict[str, list[ServiceProcess]] = field(default_factory=dict)  # beyond services
    databases: dict[str, str] = field(default_factory=dict)  # service → URL
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60.0))
    launch: dict[str, Launch] = field(default_factory=dict)
    sink: subprocess.Popen[bytes] | None = None
    smtp_port: int = 0
    demo_day: date = field(default_factory=date.today)  # what every process seeded as of

    @property
    def extra_subscriptions(self) -> list[ServiceProcess]:
        return self.replicas.get("subscriptions", [])

    def processes(self, name: str) -> list[ServiceProcess]:
        """Every process of ``name``: the one in ``services``, then its replicas."""
        return [self.services[name], *self.replicas.get(name, [])]

    def stop_mailsink(self) -> None:
        assert self.sink is not None
        _stop(self.sink)

    def start_mailsink(self) -> None:
        """(Re)start the sink on its port, writing to the same folder."""
        self.sink, _ = _start_mailsink(self.tmp, self.mail_dir, self.smtp_port)

    def kill(self, name: str) -> None:
        """SIGKILL ``name``: no shutdown, whatever it was doing is cut off."""
        process = self.services[name].process
        process.kill()
        process.wait()

    def stop(self, name: str) -> None:
        self.services[name].stop()

    def restart(self, name: str, **env: str) -> ServiceProcess:
        """Start ``name`` again on its port and database, with ``env`` added to its own."""
        old = self.services[name]
        old.stop()
        port = int(old.url.rsplit(":", 1)[1])
        self.services[name] = self.launch[name](port, env)
        return self.services[name]

    def admin(
        self, query: str, variables: dict[str, Any], service: ServiceProcess | None = None
    ) -> dict[str, Any]:
        """An admin request straight to a subscriptions process."""
        target = service or self.services["subscriptions"]
        response = self.http.post(
            f"{target.url}/graphql",
            json={"query": query, "variables": variables},
            headers=target.headers,  # an admin identity token for that process
        )
        body: dict[str, Any] = response.json()
        return body

    def charges(self, invoice_id: str) -> list[dict[str, Any]]:
        """What the bank recorded for an invoice (the invoices service's charge reference)."""
        response = self.http.get(
            f"{self.bank_url}/v1/charges", params={"reference": invoice_id}, headers=BANK_AUTH
        )
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def mail(self) -> list[EmailMessage]:
        return read_messages(self.mail_dir)

    def wait_for_mail(
        self, done: Callable[[list[EmailMessage]], bool], timeout: float = 60.0
    ) -> list[EmailMessage]:
        """The sink's messages once ``done`` holds (outboxes send in the background)."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.mail()
            if done(messages) or time.monotonic() > deadline:
                return messages
            time.sleep(0.1)


def _start_mailsink(
    tmp: Path, mail_dir: Path, port: int = 0
) -> tuple[subprocess.Popen[bytes], int]:
    port = port or free_port()
    log = (tmp / f"mailsink-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "switchboard", "mailsink", "--port", str(port), "--dir",
         str(mail_dir), "--http-port", "0"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the mail sink did not start: {(tmp / f'mailsink-{port}.log').read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_subgraph_with(
    name: str, database_url: str, tmp: Path, env: dict[str, str], port: int | None = None
) -> ServiceProcess:
    port = port or free_port()
    args = ["subgraph", name, "--port", str(port), "--database-url", database_url, "--seed"]
    return start_service(args, name=name, port=port, log_dir=tmp, env=env)


def _router(tmp: Path, services: dict[str, ServiceProcess]) -> ServiceProcess:
    port = free_port()
    config = tmp / f"router-{port}.yaml"
    config.write_text(
        yaml.safe_dump(
            {"subgraph_urls": {n: f"{s.url}/graphql" for n, s in services.items()}, "dev": True}
        )
    )
    args = ["router", "--supergraph", str(SUPERGRAPH), "--config", str(config), "--port", str(port)]
    return start_service(args, name="router", port=port, log_dir=tmp)


def _start_all(starts: Mapping[str, Callable[[], ServiceProcess]]) -> dict[str, ServiceProcess]:
    """Start every process at once; if one fails, stop the others and raise its error."""
    if not starts:
        return {}
    with ThreadPoolExecutor(len(starts)) as pool:
        futures = {key: pool.submit(start) for key, start in starts.items()}
    started = {key: f.result() for key, f in futures.items() if f.exception() is None}
    failure = next((f.exception() for f in futures.values() if f.exception()), None)
    if failure is not None:
        for process in started.values():
            process.stop()
        raise failure
    return started


@contextmanager
def payment_stack(
    tmp: Path,
    backend: str = "sqlite",
    *,
    clock: str = "system",
    subscriptions_processes: int = 1,
    router: bool = True,
    replicas: Mapping[str, int] | None = None,
    env: Mapping[str, Mapping[str, str]] | None = None,
) -> Iterator[PaymentStack]:
    """``replicas``: processes per service (invoices, orders, subscriptions; default one;
    ``subscriptions_processes`` is the same for subscriptions); ``env``: extra settings of
    every process of a service."""
    counts = {"subscriptions": subscriptions_processes, **(replicas or {})}
    extra_env = env or {}
    mail_dir = tmp / "mail"
    demo_day = parse_clock(clock).now().date()
    demo = {DATE_VARIABLE: demo_day.isoformat()}
    with ExitStack() as exits:
        sink, smtp_port = _start_mailsink(tmp, mail_dir)
        urls = {n: exits.enter_context(fresh_database(backend, n, tmp)) for n in SERVICES}
        # Ports first, so that every process knows its peers before any of them is up.
        bank_port = free_port()
        ports = {name: free_port() for name in SERVICES}
        replica_ports = {name: [free_port() for _ in range(1, counts.get(name, 1))]
                         for name in SERVICES}  # fmt: skip

        def url(port: int) -> str:
            return f"http://127.0.0.1:{port}"

        def settings(name: str, index: int = 0) -> dict[str, str]:
            prefix = name.upper()
            values = {
                **demo,
                f"{prefix}_SMTP_PORT": str(smtp_port),
                f"{prefix}_OUTBOX_POLL_SECONDS": "0.2",
                # A sender killed mid-delivery holds its rows this long (real time).
                f"{prefix}_OUTBOX_LEASE_SECONDS": "5",
                f"{prefix}_SMTP_TIMEOUT_SECONDS": "2",
                f"{prefix}_CUSTOMERS_URL": f"{url(ports['customers'])}/graphql",
            }
            if name != "invoices":  # the i-th replica calls the i-th invoices replica, if any
                invoices = [ports["invoices"], *replica_ports["invoices"]]
                invoices_port = invoices[index] if index < len(invoices) else invoices[0]
                values[f"{prefix}_INVOICES_URL"] = f"{url(invoices_port)}/graphql"
            if name == "invoices":
                values["INVOICES_BANK_URL"] = url(bank_port)
                values["INVOICES_BANK_API_KEY"] = BANK_API_KEY
                values["INVOICES_PDF_SIGNING_KEY"] = PDF_SIGNING_KEY
                values["INVOICES_ORDERS_URL"] = url(ports["orders"])
                values["INVOICES_ORDER_EVENTS_POLL"] = "0.2"
                values["INVOICES_ORDER_EVENTS_MAX_RETRY"] = "2"  # catch up soon after an outage
            if name == "subscriptions":
                values |= {"SUBSCRIPTIONS_CLOCK": clock}
            return {**values, **extra_env.get(name, {})}

        launch: dict[str, Launch] = {}
        for name in SERVICES[1:]:
            values = settings(name)
            launch[name] = lambda port, extra, n=name, v=values: start_subgraph_with(  # type: ignore[misc]
                n, urls[n], tmp, {**v, **extra}, port
            )
        bank_db = f"sqlite+aiosqlite:///{tmp / 'bank.db'}"
        first: dict[str, Callable[[], ServiceProcess]] = {
            "bank": lambda: start_service(
                ["bank", "--port", str(bank_port), "--database-url", bank_db, "--seed"],
                name="bank", port=bank_port, log_dir=tmp,
                env={"BANK_API_KEYS": BANK_API_KEY, **demo},
            ),
            "customers": lambda: start_subgraph_with(
                "customers", urls["customers"], tmp, demo, ports["customers"]
            ),
            **{name: (lambda n=name: launch[n](ports[n], {})) for name in SERVICES[1:]},
        }  # fmt: skip
        # Each service's first process migrates and seeds its database; the others start
        # once it has, all of them at once (as a deployment's replicas do).
        services = _start_all(first)
        bank = services.pop("bank")
        exits.callback(bank.stop)
        for name in services:  # the process in ``services`` then, restarted or not
            exits.callback(lambda n=name: services[n].stop())  # type: ignore[misc]
        more = {
            f"{name}.{index}": (
                lambda n=name, i=index, port=port: start_subgraph_with(
                    n, urls[n], tmp, settings(n, i), port
                )
            )
            for name in SERVICES[1:]
            for index, port in enumerate(replica_ports[name], start=1)
        }  # fmt: skip
        others = _start_all(more)
        started: dict[str, list[ServiceProcess]] = {}
        for key in more:
            exits.callback(others[key].stop)
            started.setdefault(key.split(".")[0], []).append(others[key])
        gateway = _router(tmp, services) if router else None
        if gateway is not None:
            exits.callback(gateway.stop)
        stack = PaymentStack(tmp, mail_dir, bank.url, services, gateway, started, urls,
                             launch=launch, sink=sink, smtp_port=smtp_port,
                             demo_day=demo_day)  # fmt: skip
        exits.callback(stack.http.close)
        exits.callback(lambda: stack.sink and _stop(stack.sink))
        yield stack
