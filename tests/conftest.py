"""Session fixtures: real subgraph processes on fresh databases, per database backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.databases import backends, fresh_database
from tests.support.processes import ServiceProcess, start_subgraph

# The longest test files first, so that `make test`'s workers (pytest-xdist, one file per
# worker, `--no-loadscope-reorder`) do not start a several-minute file last and leave the
# others idle: measured with `--durations=0` (seconds of setup + call, busy 2-core machine,
# 2026-12-04); refresh when a file's weight changes. Files not listed keep their order.
HEAVIEST_FILES = (
    "tests/security/test_subgraph_pool.py",  # 537
    "tests/e2e/test_billing.py",  # 493
    "tests/e2e/test_order_sync.py",  # 457
    "tests/security/test_subgraph_hostile.py",  # 454
    "tests/e2e/test_payments_crash.py",  # 414
    "tests/router/planner/test_oracle.py",  # 373
    "tests/security/test_router_fuzz.py",  # 459
    "tests/differential/test_random.py",  # 283
    "tests/e2e/test_order_flow.py",  # 263
    "tests/subgraphs/subscriptions/test_billing_model.py",  # 237
    "tests/test_readme.py",  # 217
    "tests/e2e/test_realtime.py",  # 215
    "tests/subgraphs/test_timestamps.py",  # 200
    "tests/test_fifth_subgraph.py",  # 199
    "tests/subgraphs/invoices/test_pay_errors.py",  # 191
    "tests/e2e/test_router_plugins.py",  # 187
    "tests/subgraphs/test_connections.py",  # 181
    "tests/security/test_router_ownership.py",  # 175
    "tests/router/planner/test_subgraph_operations.py",  # 165
    "tests/test_up_command.py",  # 156
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heaviest files first (see ``HEAVIEST_FILES``); a stable sort keeps each file's order."""
    rank = {path: i for i, path in enumerate(HEAVIEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


class SubgraphPool:
    """Starts each subgraph once per backend, on first use, on its own fresh database."""

    def __init__(self, backend: str, tmp_dir: Path, stack: ExitStack) -> None:
        self.backend = backend
        self._tmp_dir = tmp_dir
        self._stack = stack
        self._running: dict[str, ServiceProcess] = {}

    def database_url(self, name: str) -> str:
        return self._stack.enter_context(fresh_database(self.backend, name, self._tmp_dir))

    def __getitem__(self, name: str) -> ServiceProcess:
        if name not in self._running:
            process = start_subgraph(name, self.database_url(name), self._tmp_dir)
            self._stack.callback(process.stop)
            self._running[name] = process
        return self._running[name]


@pytest.fixture(scope="session", params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture(scope="session")
def subgraphs(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubgraphPool]:
    with ExitStack() as stack:
        yield SubgraphPool(backend, tmp_path_factory.mktemp(f"subgraphs-{backend}"), stack)
