"""DataLoader helpers: batch many ``load(key)`` calls of one tick into one query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from .db import RequestDb
from .pagination import HasId, PageArgs

RowT = TypeVar("RowT", bound=HasId)
R = TypeVar("R")
V = TypeVar("V")


def keyed_loader(
    db: RequestDb,
    fetch: Callable[[AsyncSession, Sequence[str]], Awaitable[Mapping[str, V]]],
    missing: V,
) -> DataLoader[str, V]:
    """A loader of one value per id from a fetch that answers a mapping; ``missing`` if absent."""

    async def load(ids: list[str]) -> list[V]:
        async with db.read() as session:
            found = await fetch(session, ids)
        return [found.get(i, missing) for i in ids]

    return DataLoader(load_fn=load)


def by_id_loader(
    db: RequestDb, fetch: Callable[[AsyncSession, Sequence[str]], Awaitable[Sequence[RowT]]]
) -> DataLoader[str, RowT | None]:
    """A loader of rows by id; ``None`` for ids that name nothing."""

    async def fetch_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, RowT]:
        return {row.id: row for row in await fetch(session, ids)}

    return keyed_loader(db, fetch_by_id, None)


@dataclass(frozen=True, slots=True)
class PageKey:
    """One parent's page of children: the parent's id, the page, and a status to filter by."""

    parent_id: str
    page: PageArgs
    status: str | None = None


PageFetch = Callable[
    [AsyncSession, Sequence[str], PageArgs, str | None], Awaitable[Mapping[str, list[R]]]
]


def child_page_loader(db: RequestDb, fetch: PageFetch[R]) -> DataLoader[PageKey, list[R]]:
    """Pages of children for many parents: one ``fetch`` per distinct (page, status).

    ``fetch(session, parent_ids, page, status)`` answers every parent's page at once (see
    ``pagination.fetch_child_pages``), so parents asking for the same page share a statement.
    """

    async def load(keys: list[PageKey]) -> list[list[R]]:
        groups: dict[tuple[PageArgs, str | None], list[str]] = {}
        for key in keys:
            groups.setdefault((key.page, key.status), []).append(key.parent_id)
        found: dict[PageKey, list[R]] = {}
        async with db.read() as session:
            for (page, status), parent_ids in groups.items():
                pages = await fetch(session, parent_ids, page, status)
                for parent_id in parent_ids:
                    found[PageKey(parent_id, page, status)] = pages.get(parent_id, [])
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def clear_loaders(loaders: Any) -> None:
    """Forget every cached value (after a write, so later reads see the change)."""
    for value in vars(loaders).values():
        if isinstance(value, DataLoader):
            value.cache_map.clear()


async def reload_after_write(loaders: Any, loader: DataLoader[str, R | None], key: str) -> R:
    """Forget every cached value, then load the row ``key`` names, written in this request."""
    clear_loaders(loaders)
    row = await loader.load(key)
    assert row is not None  # just written in this request
    return row
