"""Checks `switchboard dev` makes before starting anything: each failure is one fixable line."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.engine import make_url

from subgraphs.common.db import create_engine
from subgraphs.common.settings import SubgraphSettings

CONNECT_TIMEOUT = 10.0


def shown_url(url: str) -> str:
    """``url`` with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: show it as given, it is what the user typed
        return url


async def check_database(settings: SubgraphSettings) -> None:
    """ValueError saying what and how to fix it when the service's database cannot be opened."""
    try:
        engine = create_engine(settings.database_url)
    except Exception as exc:  # a malformed URL or an unknown driver
        raise ValueError(_problem(settings, exc)) from None
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # refused, unknown host or database, bad password, unwritable path
        raise ValueError(_problem(settings, exc)) from None
    finally:
        await engine.dispose()


def _problem(settings: SubgraphSettings, exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    detail = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    variable = f"{settings.name.upper()}_DATABASE_URL"
    return (
        f"{settings.name}: cannot open database {shown_url(settings.database_url)!r}: {detail} "
        f"(set {variable} to a database that exists and accepts connections)"
    )
