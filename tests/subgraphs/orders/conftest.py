"""The orders subgraph process shared by this package's HTTP tests."""

from __future__ import annotations

import pytest

from tests.conftest import SubgraphPool
from tests.support.processes import ServiceProcess


@pytest.fixture
def orders(subgraphs: SubgraphPool) -> ServiceProcess:
    return subgraphs["orders"]
