"""A whole Switchboard for end-to-end tests: four subgraph processes and the router."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from subgraphs.registry import SERVICES
from tests.support.databases import fresh_database
from tests.support.identity import user_token
from tests.support.processes import ROOT, ServiceProcess, free_port, start_service, start_subgraph

SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"


@dataclass
class Stack:
    router: ServiceProcess
    subgraphs: dict[str, ServiceProcess]
    tmp: Path


def start_router(
    tmp: Path,
    subgraph_urls: dict[str, str],
    *,
    supergraph: Path = SUPERGRAPH,
    dev: bool = True,
    settings: dict[str, Any] | None = None,
    port: int | None = None,
) -> ServiceProcess:
    port = port or free_port()
    config = tmp / f"router-{port}.yaml"
    values = {"subgraph_urls": subgraph_urls, "dev": dev, **(settings or {})}
    config.write_text(yaml.safe_dump(values))
    return start_service(
        ["router", "--supergraph", str(supergraph), "--config", str(config), "--port", str(port)],
        name="router",
        port=port,
        log_dir=tmp,
    )


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    with ExitStack() as exits:
        subgraphs = {}
        for name in SERVICES:
            url = exits.enter_context(fresh_database("sqlite", name, tmp))
            subgraphs[name] = start_subgraph(name, url, tmp)
            exits.callback(subgraphs[name].stop)
        # GraphiQL acts as the test admin (as `switchboard dev`'s does): its examples read
        # customer data, which anonymous callers may not.
        admin = {"label": "admin", "token": user_token(), "default": True}
        router = start_router(
            tmp, subgraph_urls(subgraphs), settings={"graphiql_identities": [admin]}
        )
        exits.callback(router.stop)
        yield Stack(router=router, subgraphs=subgraphs, tmp=tmp)


def subgraph_urls(subgraphs: dict[str, ServiceProcess]) -> dict[str, str]:
    return {name: f"{process.url}/graphql" for name, process in subgraphs.items()}
