"""Session fixtures: real subgraph processes on fresh databases, per database backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.support.databases import backends, fresh_database
from tests.support.processes import ServiceProcess, start_subgraph


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
