"""Prepare a service's database and serve it with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from .db import create_engine, session_factory
from .migrate import upgrade
from .settings import SubgraphSettings

logger = logging.getLogger("switchboard.subgraph")

Seed = Callable[[AsyncSession], Awaitable[bool]]


async def seed_database(database_url: str, seed: Seed) -> bool:
    """Run a service's ``seed(session)`` in one transaction; True if it inserted rows."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await seed(session)
    finally:
        await engine.dispose()


def prepare_database(settings: SubgraphSettings, seed: Seed | None) -> None:
    """Migrate to the newest schema, then seed demo data if asked and the tables are empty."""
    upgrade(settings.name, settings.database_url)
    if seed is not None and asyncio.run(seed_database(settings.database_url, seed)):
        logger.info("%s: seeded demo data", settings.name)


def serve(app: FastAPI, settings: SubgraphSettings) -> None:
    """Serve until SIGINT/SIGTERM; uvicorn finishes in-flight requests first."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        log_config=None,  # the command configured logging: uvicorn's lines are formatted as ours
        access_log=False,  # RequestTelemetry writes the access log
        loop="uvloop",
        http="httptools",
        lifespan="on",
    )
    uvicorn.Server(config).run()
