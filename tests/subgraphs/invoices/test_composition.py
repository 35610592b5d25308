"""Apollo's composition accepts the invoices SDL beside the services whose entities it extends."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from switchboard.commands import sdl_of
from tests.support.processes import ROOT

pytestmark = pytest.mark.oracle

COMPOSE = ROOT / "tests" / "oracle" / "compose.js"
LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])\n'
# Minimal owners of the entities invoices extends, until their subgraphs exist.
OWNERS = {
    "orders": LINK + 'type Order @key(fields: "id") { id: ID! }\ntype Query { order: Order }',
    "subscriptions": LINK
    + 'type BillingSubscription @key(fields: "id") { id: ID! }\n'
    + "type Query { subscription: BillingSubscription }",
}


def compose(sdls: dict[str, str]) -> dict[str, Any]:
    if shutil.which("node") is None or not (COMPOSE.parent / "node_modules").exists():
        pytest.fail("Apollo's composition (tests/oracle) is not installed: run `make test`")
    services = [{"name": n, "url": f"http://{n}", "sdl": sdl} for n, sdl in sdls.items()]
    done = subprocess.run(
        ["node", str(COMPOSE)],
        input=json.dumps(services),
        capture_output=True,
        check=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_composes_with_customers_without_errors_or_hints() -> None:
    result = compose({"customers": sdl_of("customers"), "invoices": sdl_of("invoices")})
    assert result.get("errors") is None, result
    assert result["hints"] == []
    supergraph = result["supergraphSdl"]
    assert 'taxRate: TaxRate! @join__field(graph: INVOICES, requires: "address { country }")' in (
        supergraph
    )


def test_entity_stubs_compose_with_their_owners() -> None:
    sdls = {"customers": sdl_of("customers"), "invoices": sdl_of("invoices"), **OWNERS}
    result = compose(sdls)
    assert result.get("errors") is None, result
    assert "invoice: Invoice @join__field(graph: INVOICES)" in result["supergraphSdl"]
