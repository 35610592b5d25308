"""Contracts every subgraph keeps: SDL exports current, migrations match models, Apollo composes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from subgraphs.common.db import create_engine
from subgraphs.common.migrate import upgrade
from subgraphs.registry import SERVICES, service
from switchboard.commands import sdl_of
from tests.support.databases import fresh_database
from tests.support.processes import ROOT

EXPORTS = ROOT / "schema" / "subgraphs"


@pytest.mark.parametrize("name", SERVICES)
def test_sdl_export_is_current(name: str) -> None:
    exported = EXPORTS / f"{name}.graphql"
    assert exported.exists(), f"{exported} missing: run `make sdl` and commit it"
    assert exported.read_text() == sdl_of(name), f"{exported} is stale: run `make sdl`"


@pytest.mark.parametrize("name", SERVICES)
async def test_migrations_match_models(name: str, backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, name, tmp_path) as url:
        import asyncio

        await asyncio.to_thread(upgrade, name, url)
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                diff = await conn.run_sync(_diff, name)
        finally:
            await engine.dispose()
    assert diff == [], f"models and migrations of {name} differ: run switchboard makemigration"


def _diff(conn: Connection, name: str) -> list[object]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, service(name).metadata))


@pytest.mark.oracle
def test_apollo_composition_accepts_the_four_subgraphs() -> None:
    services = [
        {"name": n, "url": f"http://127.0.0.1/{n}", "sdl": (EXPORTS / f"{n}.graphql").read_text()}
        for n in SERVICES
    ]
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "oracle" / "compose.js")],
        input=json.dumps(services),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    outcome = json.loads(result.stdout)
    assert "errors" not in outcome, "\n".join(
        e["code"] + ": " + e["message"] for e in outcome["errors"]
    )
    supergraph = outcome["supergraphSdl"]
    for entity in ("Customer", "Order", "Invoice", "BillingSubscription", "Product", "Plan"):
        assert f"type {entity}\n" in supergraph or f"type {entity} " in supergraph
    assert "@join__field(graph: INVOICES, requires:" in supergraph
