"""The shared DataLoaders: one fetch per batch, pages grouped by their arguments."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import (
    PageKey,
    by_id_loader,
    child_page_loader,
    clear_loaders,
    keyed_loader,
    reload_after_write,
)
from subgraphs.common.pagination import PageArgs

FIRST_TWO = PageArgs(first=2, after_id=None)
NEXT_TWO = PageArgs(first=2, after_id="c_2")


@dataclass(frozen=True)
class Row:
    id: str


@dataclass
class Fetches:
    """A stand-in repository that records what each batch asked for."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)

    async def rows(self, _session: Any, ids: Sequence[str]) -> list[Row]:
        self.calls.append(tuple(ids))
        return [Row(i) for i in ids if not i.startswith("missing")]

    async def pages(
        self, _session: Any, parent_ids: Sequence[str], page: PageArgs, status: str | None
    ) -> dict[str, list[Row]]:
        self.calls.append((tuple(parent_ids), page, status))
        return {p: [Row(f"{p}/{status}")] for p in parent_ids if not p.startswith("missing")}


@dataclass
class Loaders:
    row: DataLoader[str, Row | None]
    pages: DataLoader[PageKey, list[Row]]


class FakeSession:
    """Enough of a session for the loaders: it is never in a transaction to end."""

    def in_transaction(self) -> bool:
        return False


def fake_db() -> RequestDb:
    return RequestDb(cast(Any, FakeSession))


async def test_keyed_and_by_id_loaders_answer_a_batch_with_one_fetch() -> None:
    fetches = Fetches()
    db = fake_db()
    rows = by_id_loader(db, fetches.rows)
    counts = keyed_loader(db, lambda s, ids: _lengths(ids), 0)
    found = await asyncio.gather(rows.load("a"), rows.load("missing"), rows.load("a"))
    assert found == [Row("a"), None, Row("a")]
    assert fetches.calls == [("a", "missing")]
    assert await asyncio.gather(counts.load("abc"), counts.load("")) == [3, 0]


async def _lengths(ids: Sequence[str]) -> dict[str, int]:
    return {i: len(i) for i in ids if i}


async def test_child_pages_cost_one_fetch_per_distinct_page_request() -> None:
    fetches = Fetches()
    pages = child_page_loader(fake_db(), fetches.pages)
    keys = [
        PageKey("p1", FIRST_TWO),
        PageKey("p2", FIRST_TWO),
        PageKey("p1", FIRST_TWO, "OPEN"),
        PageKey("p1", NEXT_TWO),
        PageKey("missing", FIRST_TWO),
    ]
    found = await asyncio.gather(*(pages.load(key) for key in keys))
    assert found == [[Row("p1/None")], [Row("p2/None")], [Row("p1/OPEN")], [Row("p1/None")], []]
    assert sorted(fetches.calls, key=repr) == sorted(
        [
            (("p1", "p2", "missing"), FIRST_TWO, None),
            (("p1",), FIRST_TWO, "OPEN"),
            (("p1",), NEXT_TWO, None),
        ],
        key=repr,
    )


async def test_clear_loaders_forgets_rows_and_pages() -> None:
    fetches = Fetches()
    db = fake_db()
    loaders = Loaders(by_id_loader(db, fetches.rows), child_page_loader(db, fetches.pages))
    page = PageKey("p1", FIRST_TWO)
    await loaders.row.load("a")
    await loaders.pages.load(page)
    clear_loaders(loaders)
    await loaders.pages.load(page)
    assert await reload_after_write(loaders, loaders.row, "a") == Row("a")
    page_fetch = (("p1",), FIRST_TWO, None)
    assert fetches.calls == [("a",), page_fetch, page_fetch, ("a",)]
