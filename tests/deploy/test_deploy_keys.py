"""``switchboard keys``: a deployment's keys, in the files Compose and Kubernetes read, work.

The command writes one env file per process and a Kubernetes Secret; a real customers
subgraph started with only its env file's keys answers a request the router signs with
``router.env``'s key and one orders signs with ``orders.env``'s, and refuses a request signed
by another key. The Secret holds the same keys; a second run keeps the first keys.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from router.auth.identity import Identity
from router.auth.subgraph_tokens import HEADER, SubgraphAuthConfig, SubgraphSigner
from subgraphs.common.service_tokens import ServiceSigner, load_private_key
from switchboard.deploykeys import ROUTER_ENV, read_env
from tests.support.databases import fresh_database
from tests.support.processes import ROOT, start_subgraph

QUERY = '{ customer(id: "cus_nope") { id } }'


def keys_command(out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard", "keys", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_deployment_keys_let_the_router_and_peers_in_and_no_one_else(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    made = keys_command(out)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    customers_env = read_env(out / "customers.env")
    assert set(customers_env) == {
        "CUSTOMERS_ROUTER_PUBLIC_KEYS", "CUSTOMERS_SERVICE_PRIVATE_KEY",
        "CUSTOMERS_SERVICE_PUBLIC_KEYS",
    }  # fmt: skip
    router_pem = read_env(out / "router.env")[ROUTER_ENV]
    assert "\n" not in router_pem  # one line: `\n` for the PEM's line breaks

    router_key = SubgraphAuthConfig(private_key=router_pem).load_key()
    assert router_key is not None
    admin = Identity(subject="staff-ops", scopes=frozenset({"admin"}))
    orders_key = load_private_key(read_env(out / "orders.env")["ORDERS_SERVICE_PRIVATE_KEY"])
    stranger = SubgraphSigner(Ed25519PrivateKey.generate())
    with fresh_database("sqlite", "customers", tmp_path) as url:
        customers = start_subgraph("customers", url, tmp_path, env=customers_env)
        try:

            def ask(headers: dict[str, str]) -> int:
                response = customers.client.post(
                    f"{customers.url}/graphql", json={"query": QUERY}, headers=headers
                )
                return response.status_code

            customers.client.headers.pop(HEADER, None)  # not the test suite's own identity
            assert ask({HEADER: SubgraphSigner(router_key).token(admin, "customers")}) == 200
            assert ask(ServiceSigner("orders", orders_key).headers("customers")) == 200
            assert ask({HEADER: stranger.token(admin, "customers")}) == 401
            assert ask({}) == 401
        finally:
            customers.stop()

    secret = yaml.safe_load((out / "kubernetes-secret.yaml").read_text())
    assert secret["metadata"]["name"] == "switchboard-keys"
    data = secret["stringData"]
    assert data["router-private-key"] == router_pem.replace("\\n", "\n")
    assert data["router-public-key"] == customers_env["CUSTOMERS_ROUTER_PUBLIC_KEYS"].replace(
        "\\n", "\n"
    )
    assert json.loads(data["service-public-keys"]) == json.loads(
        customers_env["CUSTOMERS_SERVICE_PUBLIC_KEYS"]
    )
    before = (out / "router.env").read_text()
    again = keys_command(out)
    assert again.returncode == 2
    assert "keys exist already" in again.stderr
    assert (out / "router.env").read_text() == before
