"""Fixtures for the schema tests: Apollo's results for every case, computed in one node process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.cases import all_cases
from tests.schema.oracle import compose_many, oracle_available
from tests.schema.real import real_services


@pytest.fixture(scope="session")
def apollo() -> dict[str, dict[str, Any]]:
    """Apollo's composition result per case name (plus "_real" for our own subgraphs)."""
    if not oracle_available():
        pytest.fail(
            "node or tests/oracle/node_modules missing: run `make test`, which installs them"
        )
    batch = {case.name: case.services() for case in all_cases()}
    services = real_services()
    if services:
        batch["_real"] = services
    return compose_many(batch)
