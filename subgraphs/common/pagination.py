"""Cursor-based connections (``first``/``after``/``orderBy``) with keyset pagination on the id.

Ids are time-sortable (``ids.new_id``), so ordering by id is ordering by creation:
``orderBy: OLDEST_FIRST`` (the default) or ``NEWEST_FIRST``. A cursor is a row's id, so a
page ``after`` it continues in the order asked for. ``totalCount`` is the size of the whole
list with its filters, whatever the page: for a root list it is counted only when selected;
for the lists of many parents (``fetch_child_pages``) one GROUP BY counts them all.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

import strawberry
import strawberry.federation as fed
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.interfaces import ORMOption

from .errors import BadUserInput


class HasId(Protocol):
    """A row with a string id: what pages are ordered by and loaders look rows up by."""

    @property
    def id(self) -> str: ...


T = TypeVar("T")
RowT = TypeVar("RowT", bound=HasId)
_CURSOR_PREFIX = "v1:"


@fed.type(shareable=True, description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.enum(description="The order of a list: by creation time (ids sort that way).")
class SortOrder(Enum):
    OLDEST_FIRST = "OLDEST_FIRST"
    NEWEST_FIRST = "NEWEST_FIRST"


Counter = Callable[[AsyncSession], Awaitable[int]]


class Page(list[T]):
    """One page of rows (plus one, if more follow) and how many the whole list has."""

    def __init__(self, rows: Sequence[T], total: int | Counter) -> None:
        super().__init__(rows)
        self.total = total


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total: strawberry.Private[int | Counter]

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="How many nodes the whole list has, with its filters.")
    async def total_count(self, info: strawberry.Info) -> int:
        if isinstance(self.total, int):
            return self.total
        async with info.context.db.read() as session:
            return await self.total(session)


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated ``first``/``after``/``orderBy``: how many rows, the id to start after, and
    whether the newest come first."""

    first: int
    after_id: str | None
    newest_first: bool = False


def encode_cursor(row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{row_id}".encode()).decode()


MAX_CURSOR_LENGTH = 128


def decode_cursor(cursor: str) -> str:
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise BadUserInput(f"Invalid cursor {cursor[:40]!r}….", field="after")
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    if not raw.startswith(_CURSOR_PREFIX) or len(raw) == len(_CURSOR_PREFIX):
        raise BadUserInput(f"Invalid cursor {cursor!r}.", field="after")
    return raw[len(_CURSOR_PREFIX) :]


def page_args(
    first: int | None,
    after: str | None,
    *,
    default: int,
    maximum: int,
    order: SortOrder | None = None,
) -> PageArgs:
    """Check a page request: ``first`` within 0..maximum, ``after`` a cursor we issued."""
    size = default if first is None else first
    if size < 0 or size > maximum:
        raise BadUserInput(f"first must be between 0 and {maximum}; got {size}.", field="first")
    return PageArgs(
        first=size,
        after_id=decode_cursor(after) if after is not None else None,
        newest_first=order is SortOrder.NEWEST_FIRST,
    )


def build_connection(
    rows: Sequence[RowT], args: PageArgs, to_node: Callable[[RowT], T]
) -> Connection[T]:
    """A connection from up to ``first + 1`` rows (the extra one only says a next page exists)."""
    page = rows[: args.first]
    edges = [Edge(cursor=encode_cursor(r.id), node=to_node(r)) for r in page]
    total = rows.total if isinstance(rows, Page) else len(rows)
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > args.first,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total=total,
    )


def _after(id_column: Any, args: PageArgs) -> ColumnElement[bool]:
    assert args.after_id is not None
    after: ColumnElement[bool] = (
        id_column < args.after_id if args.newest_first else id_column > args.after_id
    )
    return after


def _order(id_column: Any, args: PageArgs) -> Any:
    return id_column.desc() if args.newest_first else id_column


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], id_column: InstrumentedAttribute[str], args: PageArgs
) -> Page[Any]:
    """Rows of one page of ``stmt`` in the order asked, plus one to tell if more follow."""
    everything = stmt

    async def count(counting: AsyncSession) -> int:
        subquery = everything.with_only_columns(id_column).order_by(None).subquery()
        return int(await counting.scalar(select(func.count()).select_from(subquery)) or 0)

    if args.after_id is not None:
        stmt = stmt.where(_after(id_column, args))
    stmt = stmt.order_by(_order(id_column, args)).limit(args.first + 1)
    return Page(list((await session.execute(stmt)).scalars().all()), count)


async def fetch_child_pages(
    session: AsyncSession,
    model: type[Any],
    parent_column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    parent_ids: Sequence[str],
    args: PageArgs,
    *conditions: ColumnElement[bool],
    options: Sequence[ORMOption] = (),
) -> dict[str, list[Any]]:
    """One page of children for each of many parents, in a single statement.

    A window function numbers each parent's children by id, so 100 customers' first five
    orders cost one query, not 100. ``options`` are loader options for the children, e.g.
    ``selectinload(...)``; children whose parent column is NULL never match a parent.
    """
    id_column = model.id
    filters: list[ColumnElement[bool]] = [parent_column.in_(parent_ids), *conditions]
    totals = _GroupCount(parent_column, tuple(filters))
    if args.after_id is not None:
        filters.append(_after(id_column, args))
    numbered = (
        select(
            id_column.label("child_id"),
            func.row_number()
            .over(partition_by=parent_column, order_by=_order(id_column, args))
            .label("position"),
        )
        .where(*filters)
        .subquery()
    )
    stmt = (
        select(model)
        .join(numbered, numbered.c.child_id == id_column)
        .where(numbered.c.position <= args.first + 1)
        .order_by(_order(id_column, args))
        .options(*options)
    )
    pages: dict[str, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    for child in (await session.execute(stmt)).scalars().all():
        pages[getattr(child, parent_column.key)].append(child)
    return {p: Page(rows, totals.counter(p)) for p, rows in pages.items()}


class _GroupCount:
    """The list sizes of every parent of one batch: one GROUP BY, run when the first of them
    is asked for its ``totalCount`` (and never if none is)."""

    def __init__(self, parent_column: Any, filters: tuple[ColumnElement[bool], ...]) -> None:
        self._column, self._filters = parent_column, filters
        self._found: dict[str, int] | None = None

    def counter(self, parent_id: str) -> Counter:
        async def count(session: AsyncSession) -> int:
            if self._found is None:
                stmt = (
                    select(self._column, func.count()).where(*self._filters).group_by(self._column)
                )
                rows = (await session.execute(stmt)).all()
                self._found = {parent: int(n) for parent, n in rows}
            return self._found.get(parent_id, 0)

        return count
