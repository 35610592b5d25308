"""Session fixtures: the kit, the real subgraphs, and a router/Apollo pair per supergraph."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from subgraphs.registry import SERVICES
from tests.differential.corpus import CASES_DIR, synthetic_cases
from tests.differential.gateways import Pair, start_kit, start_pair, subgraph_names
from tests.support.databases import fresh_database
from tests.support.processes import ROOT, start_subgraph

REAL_SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def real_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """The four real subgraphs on fresh seeded SQLite databases, behind both gateways."""
    tmp = tmp_path_factory.mktemp("differential-real")
    with ExitStack() as exits, ThreadPoolExecutor(max_workers=4) as pool:
        urls = {name: exits.enter_context(fresh_database("sqlite", name, tmp)) for name in SERVICES}
        started = list(pool.map(lambda name: start_subgraph(name, urls[name], tmp), SERVICES))
        for service in started:
            exits.callback(service.stop)
        subgraph_urls = {s.name: f"{s.url}/graphql" for s in started}
        pair = start_pair(REAL_SUPERGRAPH, subgraph_urls, subgraph_urls, tmp)
        exits.callback(pair.stop)
        yield pair


@pytest.fixture(scope="session")
def synthetic_pairs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Pair]]:
    """One kit process for every case; our router and Apollo per case, started in parallel."""
    tmp = tmp_path_factory.mktemp("differential-synthetic")
    with ExitStack() as exits:
        kit = start_kit(CASES_DIR, tmp)
        exits.callback(kit.stop)

        def start(case: str) -> Pair:
            supergraph = CASES_DIR / case / "supergraph.graphql"
            names = subgraph_names(supergraph.read_text())

            def urls(caller: str) -> dict[str, str]:
                return {n: f"{kit.url}/{caller}/{case}/{n}/graphql" for n in names}

            return start_pair(supergraph, urls("switchboard"), urls("apollo"), tmp)

        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {case: pool.submit(start, case) for case in synthetic_cases()}
        pairs: dict[str, Pair] = {}
        for case, future in futures.items():
            if future.exception() is None:
                pairs[case] = future.result()
                exits.callback(pairs[case].stop)
        for future in futures.values():
            future.result()  # every started pair is registered for stopping; now fail
        yield pairs
