"""Service-to-service tokens over HTTP, between real processes.

A peer process stands in for the callee and checks every call with ``verify_service_token``
(``tests/security/service_peer.py``). Real invoices and orders processes, given their keys
as ``switchboard dev`` gives them, call it and are accepted as themselves; calls with no
token, a forged, expired or misdirected one are refused with 401 and the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.common.demo import world
from subgraphs.common.service_tokens import HEADER, ServiceSigner, key_id, load_private_key
from subgraphs.invoices.links import PdfLinks
from subgraphs.registry import SERVICES
from switchboard.devkeys import DevKeys
from tests.subgraphs.invoices.payments_stack import PDF_SIGNING_KEY
from tests.subgraphs.orders.operations import PLACE
from tests.support.databases import fresh_database
from tests.support.processes import ROOT, ServiceProcess, free_port, start_subgraph

pytestmark = pytest.mark.slow


@dataclass
class Peer:
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def calls(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{self.url}/calls").json()
        return found

    def call(self, callee: str, token: str | None) -> httpx.Response:
        headers = {HEADER: token} if token is not None else {}
        return httpx.post(
            f"{self.url}/{callee}/graphql", json={"query": "{ __typename }"}, headers=headers
        )


@dataclass
class World:
    keys: DevKeys
    peer: Peer
    services: dict[str, ServiceProcess]

    def signing_key(self, name: str) -> Ed25519PrivateKey:
        return load_private_key(self.keys.private(name))


def _start_peer(tmp: Path, env: dict[str, str]) -> Peer:
    port = free_port()
    with (tmp / f"peer-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.security.service_peer", "--port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    peer = Peer(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{peer.url}/health").status_code == 200:
                return peer
        except httpx.HTTPError:
            time.sleep(0.1)
    peer.stop()
    raise RuntimeError("the peer did not start")


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("service-tokens")
    keys = DevKeys.generate(tmp / "keys", list(SERVICES))
    env = keys.environment(list(SERVICES))
    with ExitStack() as exits:
        # the callee trusts what customers (and invoices) would: every service's public key
        peer = _start_peer(tmp, {**os.environ, "PEER_SERVICE_PUBLIC_KEYS": env[
            "CUSTOMERS_SERVICE_PUBLIC_KEYS"]})  # fmt: skip
        exits.callback(peer.stop)
        services: dict[str, ServiceProcess] = {}
        for name in ("invoices", "orders"):
            prefix = name.upper()
            database = exits.enter_context(fresh_database("sqlite", name, tmp))
            settings = {
                f"{prefix}_SERVICE_PRIVATE_KEY": env[f"{prefix}_SERVICE_PRIVATE_KEY"],
                f"{prefix}_CUSTOMERS_URL": f"{peer.url}/customers/graphql",
                f"{prefix}_INVOICES_URL": f"{peer.url}/invoices/graphql",
                "INVOICES_PDF_SIGNING_KEY": PDF_SIGNING_KEY,
                "INVOICES_ORDER_EVENTS_ENABLED": "false",
            }
            services[name] = start_subgraph(name, database, tmp, settings)
            exits.callback(services[name].stop)
        yield World(keys, peer, services)


def _new_calls(w: World, before: int) -> list[dict[str, Any]]:
    return w.peer.calls()[before:]


def test_invoices_calls_customers_as_itself(w: World) -> None:
    before = len(w.peer.calls())
    invoices = w.services["invoices"]
    links = PdfLinks(PDF_SIGNING_KEY.encode(), invoices.url, 900)
    invoice = next(iter(_demo_invoice_ids()))
    response = httpx.get(links.url(invoice), timeout=30)  # the PDF asks customers whom to bill
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert _new_calls(w, before) == [{"callee": "customers", "status": 200, "caller": "invoices"}]


def test_orders_calls_customers_and_invoices_as_itself(w: World) -> None:
    before = len(w.peer.calls())
    demo = world()
    product = next(p for p in demo.products if p.stock > 0)
    order = {"customerId": demo.customers[0].id, "lines": [{"productId": product.id,
             "quantity": 1}]}  # fmt: skip
    w.services["orders"].execute(PLACE, {"input": order, "key": f"svc-{time.time_ns()}"})
    calls = _new_calls(w, before)
    assert {"callee": "customers", "status": 200, "caller": "orders"} in calls
    assert {"callee": "invoices", "status": 200, "caller": "orders"} in calls
    assert all(call["status"] == 200 for call in calls), calls


def _demo_invoice_ids() -> list[str]:
    from subgraphs.invoices.seed import demo_invoices

    return [row.id for row in demo_invoices(world())]


def _claims(caller: str, callee: str, *, issued: int | None = None) -> dict[str, Any]:
    now = int(time.time()) if issued is None else issued
    return {"iss": f"switchboard-service:{caller}", "aud": callee, "scope": "service",
            "iat": now, "exp": now + 120}  # fmt: skip


def _signed(key: Ed25519PrivateKey, values: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(values, key, algorithm="EdDSA", headers={"kid": kid or key_id(
        key.public_key())})  # fmt: skip


def test_the_real_key_is_accepted_directly(w: World) -> None:
    token = ServiceSigner("orders", w.signing_key("orders")).token("customers")
    answer = w.peer.call("customers", token)
    assert answer.status_code == 200
    assert w.peer.calls()[-1] == {"callee": "customers", "status": 200, "caller": "orders"}


def _refusals(w: World) -> dict[str, tuple[str | None, str]]:
    orders = w.signing_key("orders")
    forger = Ed25519PrivateKey.generate()
    long_ago = int(time.time()) - 600
    return {
        "no token": (None, "missing"),
        "garbage": ("not-a-jwt", "malformed"),
        "forged: an unknown key": (_signed(forger, _claims("orders", "customers")), "unknown_key"),
        "forged: a known key id": (
            _signed(forger, _claims("orders", "customers"), kid=key_id(orders.public_key())),
            "signature",
        ),
        "orders' key speaking for invoices": (
            _signed(orders, _claims("invoices", "customers")),
            "unknown_key",
        ),
        "expired": (_signed(orders, _claims("orders", "customers", issued=long_ago)), "expired"),
        "for another callee": (ServiceSigner("orders", orders).token("invoices"), "audience"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "garbage",
        "forged: an unknown key",
        "forged: a known key id",
        "orders' key speaking for invoices",
        "expired",
        "for another callee",
    ],
)
def test_a_call_without_a_good_token_is_refused(w: World, case: str) -> None:
    token, reason = _refusals(w)[case]
    answer = w.peer.call("customers", token)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED",
                                                        "reason": reason}  # fmt: skip
    assert w.peer.calls()[-1] == {"callee": "customers", "status": 401, "reason": reason}
