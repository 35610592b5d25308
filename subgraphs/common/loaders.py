"""DataLoader helpers: batch many ``load(id)`` calls of one tick into one query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from .db import RequestDb


class HasId(Protocol):
    @property
    def id(self) -> str: ...


RowT = TypeVar("RowT", bound=HasId)


def by_id_loader(
    db: RequestDb, fetch: Callable[[AsyncSession, Sequence[str]], Awaitable[Sequence[RowT]]]
) -> DataLoader[str, RowT | None]:
    """A loader of rows by id; ``None`` for ids that name nothing."""

    async def load(ids: list[str]) -> list[RowT | None]:
        async with db.read() as session:
            rows = await fetch(session, ids)
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def clear_loaders(loaders: Any) -> None:
    """Forget every cached value (after a write, so later reads see the change)."""
    for value in vars(loaders).values():
        if isinstance(value, DataLoader):
            value.cache_map.clear()
