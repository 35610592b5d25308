"""A subgraph app in this process, over an ASGI transport, with its SQL counted."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event

from subgraphs.common.serve import prepare_database
from subgraphs.common.settings import SubgraphSettings
from subgraphs.registry import service
from tests.support.identity import identity_headers, subgraph_env


@dataclass
class InProcessSubgraph:
    client: httpx.AsyncClient
    statements: list[str] = field(default_factory=list)

    async def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        body: dict[str, Any] = response.json()
        return body


@asynccontextmanager
async def in_process_subgraph(name: str, database_url: str) -> AsyncIterator[InProcessSubgraph]:
    """Migrate and seed ``database_url``, then serve ``name`` through an ASGI transport."""
    svc = service(name)
    for variable, value in subgraph_env().items():  # the keys, as a process is given them
        os.environ.setdefault(variable, value)
    settings = SubgraphSettings.for_service(name, database_url=database_url)
    await asyncio.to_thread(prepare_database, settings, svc.seed)
    app = svc.create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://subgraph", headers=identity_headers(name)
        ) as client:
            subgraph = InProcessSubgraph(client)

            def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                subgraph.statements.append(statement)

            engine = app.state.engine.sync_engine
            event.listen(engine, "before_cursor_execute", record)
            try:
                yield subgraph
            finally:
                event.remove(engine, "before_cursor_execute", record)
