"""Fresh databases for tests: an SQLite file, or a new PostgreSQL database per service."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ENV = "TEST_POSTGRES_URL"


def backends() -> list[str]:
    """SQLite always; PostgreSQL too when TEST_POSTGRES_URL is set (CI sets it)."""
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def _postgres_admin_url() -> str:
    url = make_url(os.environ[POSTGRES_ENV])
    return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    """Run one statement as the server admin, on a thread of its own (safe in async tests)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_admin_async(statement))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def _admin_async(statement: str) -> None:
    engine = create_async_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def fresh_database(backend: str, service: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of an empty database for ``service``; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_dir / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"sb_test_{service}_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(_postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
