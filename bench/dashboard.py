"""The router's own overhead: a dashboard query on Switchboard's subgraphs, routed vs. direct."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.contenders import ROOT
from bench.procs import BenchError, Service, free_port, start, wait_ready

SERVICES = ("customers", "orders", "invoices", "subscriptions")
ROUTER_CPU = 0
CLIENT_CPU = 1

DASHBOARD_QUERY = """
query Dashboard {
  customers(first: 5) {
    nodes {
      id
      name
      email
      taxRate { name basisPoints }
      orders(first: 3) {
        nodes {
          id status total { amount currency }
          invoice { number status total { amount currency } }
        }
      }
      subscriptions(first: 3) {
        nodes { id status currentPeriodEnd plan { name price { amount currency } } }
      }
    }
  }
}
"""

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { %s } }"
CUSTOMERS = "{ customers(first: 5) { nodes { id name email address { country } } } }"
TAX_RATE = ENTITIES % "... on Customer { taxRate { name basisPoints } }"
ORDERS = ENTITIES % (
    "... on Customer { orders(first: 3) { nodes { id status total { amount currency } } } }"
)
INVOICE = ENTITIES % "... on Order { invoice { number status total { amount currency } } }"
SUBSCRIPTIONS = ENTITIES % (
    "... on Customer { subscriptions(first: 3) { nodes { id status currentPeriodEnd "
    "plan { name price { amount currency } } } } }"
)


@dataclass(frozen=True)
class DashboardRun:
    """One path (router or direct) under a single closed-loop client."""

    label: str
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    http_requests: int


@dataclass(frozen=True)
class DashboardResult:
    seconds: float
    router: DashboardRun
    direct: DashboardRun
    router_cpu_ms_per_query: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class BenchIdentity:
    """Who the dashboard runs as: a staff admin, as a support console would.

    The router trusts this run's identity provider (a JWKS written here, not marked as a
    development key, so a production router accepts it) and signs its subgraph requests with
    this run's router key; the direct path sends the headers the router would send.
    """

    keys: Any  # switchboard.devkeys.DevKeys
    jwks: Path

    @classmethod
    def generate(cls, folder: Path) -> BenchIdentity:
        from router.auth.jwks import DEV_MARKER
        from switchboard.devkeys import DevKeys

        keys = DevKeys.generate(folder, list(SERVICES))
        data = json.loads(keys.jwks.read_text())
        for entry in data["keys"]:
            entry.pop(DEV_MARKER, None)
        jwks = folder / "bench-jwks.json"
        jwks.write_text(json.dumps(data))
        return cls(keys, jwks)

    def subgraph_env(self) -> dict[str, str]:
        env: dict[str, str] = self.keys.environment(list(SERVICES))
        return env

    def router_config(self) -> str:
        from switchboard.devkeys import DEV_ISSUER

        return (
            f"authentication:\n  jwks:\n    - file: {self.jwks}\n  issuers: [{DEV_ISSUER}]\n"
            f"subgraph_auth:\n  private_key_file: {self.keys.router_key}\n"
        )

    def bearer(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.keys.token('staff-bench', ['admin'])}"}

    def subgraph_headers(self, subgraph: str) -> dict[str, str]:
        from router.auth.identity import Identity
        from router.auth.subgraph_tokens import HEADER, SubgraphAuthConfig, SubgraphSigner

        key = SubgraphAuthConfig(private_key_file=self.keys.router_key).load_key()
        assert key is not None
        admin = Identity(subject="staff-bench", scopes=frozenset({"admin"}))
        return {HEADER: SubgraphSigner(key).token(admin, subgraph)}


class Client:
    """Keep-alive JSON POSTs to one host:port, counted."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"content-type": "application/json", **(headers or {})}
        self.sent = 0

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables or {}})
        try:
            status, payload = self._send(body)
        except (ConnectionError, http.client.HTTPException):
            self.connection.close()  # the server closed an idle keep-alive connection
            status, payload = self._send(body)
        self.sent += 1
        if status != 200 or payload.get("errors"):
            raise BenchError(f"dashboard fetch failed ({status}): {payload}")
        return dict(payload["data"])

    def _send(self, body: str) -> tuple[int, dict[str, Any]]:
        self.connection.request("POST", "/graphql", body, self.headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read())


def direct_dashboard(clients: dict[str, Client]) -> dict[str, Any]:
    """The router's plan, fetch by fetch, one after another, assembled into its answer."""
    found = clients["customers"].post(CUSTOMERS)["customers"]["nodes"]
    customer_refs = [{"__typename": "Customer", "id": c["id"]} for c in found]
    tax = clients["invoices"].post(
        TAX_RATE,
        {
            "r": [
                {**ref, "address": c["address"]}
                for ref, c in zip(customer_refs, found, strict=True)
            ]
        },
    )["_entities"]
    orders = clients["orders"].post(ORDERS, {"r": customer_refs})["_entities"]
    order_refs = [
        {"__typename": "Order", "id": o["id"]}
        for entity in orders
        for o in entity["orders"]["nodes"]
    ]
    invoices = (
        clients["invoices"].post(INVOICE, {"r": order_refs})["_entities"] if order_refs else []
    )
    subs = clients["subscriptions"].post(SUBSCRIPTIONS, {"r": customer_refs})["_entities"]
    invoice_of = {ref["id"]: inv["invoice"] for ref, inv in zip(order_refs, invoices, strict=True)}
    nodes = []
    for customer, rate, customer_orders, customer_subs in zip(
        found, tax, orders, subs, strict=True
    ):
        nodes.append(
            {
                "id": customer["id"],
                "name": customer["name"],
                "email": customer["email"],
                "taxRate": rate["taxRate"],
                "orders": {
                    "nodes": [
                        {**o, "invoice": invoice_of[o["id"]]}
                        for o in customer_orders["orders"]["nodes"]
                    ]
                },
                "subscriptions": customer_subs["subscriptions"],
            }
        )
    return {"customers": {"nodes": nodes}}


def _closed_loop(
    label: str, call: Callable[[], object], seconds: float, count: Callable[[], int]
) -> DashboardRun:
    latencies: list[float] = []
    sent_before = count()
    end = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return DashboardRun(
        label=label,
        requests=len(latencies),
        rps=len(latencies) / elapsed,
        p50_ms=1000 * cuts[49],
        p95_ms=1000 * cuts[94],
        p99_ms=1000 * cuts[98],
        http_requests=round((count() - sent_before) / len(latencies)),
    )


def run_dashboard(
    work_dir: Path, *, seconds: float, warmup_seconds: float, log: Callable[[str], None] = print
) -> DashboardResult:
    """Start the four subgraphs (seeded SQLite) and the router; measure both paths."""
    services: list[Service] = []
    identity = BenchIdentity.generate(work_dir / "keys")
    try:
        ports = {name: free_port() for name in SERVICES}
        for name, port in ports.items():
            services.append(
                start(
                    f"dashboard-{name}",
                    [
                        str(ROOT / ".venv" / "bin" / "python"),
                        "-m",
                        "switchboard",
                        "subgraph",
                        name,
                        "--port",
                        str(port),
                        "--database-url",
                        f"sqlite+aiosqlite:///{work_dir / name}.db",
                        "--seed",
                    ],
                    cpu=CLIENT_CPU,
                    log_dir=work_dir,
                    cwd=ROOT,
                    env=identity.subgraph_env(),
                )
            )
        for service, port in zip(services, ports.values(), strict=True):
            wait_ready(service, f"http://127.0.0.1:{port}/health", timeout=90)
        config = work_dir / "dashboard-router.yaml"
        urls = "".join(f"  {n}: http://127.0.0.1:{p}/graphql\n" for n, p in ports.items())
        config.write_text(f"dev: false\nsubgraph_urls:\n{urls}{identity.router_config()}")
        router_port = free_port()
        router = start(
            "dashboard-router",
            [
                str(ROOT / ".venv" / "bin" / "switchboard"),
                "router",
                "--supergraph",
                str(ROOT / "schema" / "supergraph.graphql"),
                "--config",
                str(config),
                "--port",
                str(router_port),
            ],
            cpu=ROUTER_CPU,
            log_dir=work_dir,
            cwd=ROOT,
        )
        services.append(router)
        wait_ready(router, f"http://127.0.0.1:{router_port}/health", timeout=60)
        return _measure(router, router_port, ports, identity, seconds, warmup_seconds, log)
    finally:
        for service in reversed(services):
            service.stop()


def _measure(
    router: Service,
    router_port: int,
    ports: dict[str, int],
    identity: BenchIdentity,
    seconds: float,
    warmup_seconds: float,
    log: Callable[[str], None],
) -> DashboardResult:
    import os

    os.sched_setaffinity(0, {CLIENT_CPU})
    try:
        via_router = Client(router_port, identity.bearer())
        clients = {
            name: Client(port, identity.subgraph_headers(name)) for name, port in ports.items()
        }
        routed = via_router.post(DASHBOARD_QUERY)
        direct = direct_dashboard(clients)
        if routed != direct:
            raise BenchError(f"router and direct answers differ:\n{routed}\n{direct}")
        if not routed["customers"]["nodes"]:
            raise BenchError("the seeded subgraphs returned no customers")
        log(f"dashboard: router and direct answers agree ({len(json.dumps(routed))} bytes)")
        _closed_loop("warm-up", lambda: via_router.post(DASHBOARD_QUERY), warmup_seconds, lambda: 0)
        _closed_loop("warm-up", lambda: direct_dashboard(clients), warmup_seconds, lambda: 0)
        cpu_before = router.cpu_seconds()
        router_run = _closed_loop(
            "router (one request)",
            lambda: via_router.post(DASHBOARD_QUERY),
            seconds,
            lambda: via_router.sent,
        )
        router_cpu = router.cpu_seconds() - cpu_before
        direct_run = _closed_loop(
            "direct to the subgraphs, in sequence",
            lambda: direct_dashboard(clients),
            seconds,
            lambda: sum(c.sent for c in clients.values()),
        )
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return DashboardResult(
        seconds=seconds,
        router=router_run,
        direct=direct_run,
        router_cpu_ms_per_query=1000 * router_cpu / router_run.requests,
    )
