"""Cursor-based connections (``first``/``after``) with keyset pagination on the id."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


@dataclass(frozen=True, slots=True)
class PageArgs:
    """Validated ``first``/``after``: how many rows, and the id to start after."""

    first: int
    after_id: str | None


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


def page_args(first: int | None, after: str | None, *, default: int, maximum: int) -> PageArgs:
    """Check a page request: ``first`` within 0..maximum, ``after`` a cursor we issued."""
    size = default if first is None else first
    if size < 0 or size > maximum:
        raise BadUserInput(f"first must be between 0 and {maximum}; got {size}.", field="first")
    return PageArgs(first=size, after_id=decode_cursor(after) if after is not None else None)


def build_connection(
    rows: Sequence[RowT], args: PageArgs, to_node: Callable[[RowT], T]
) -> Connection[T]:
    """A connection from up to ``first + 1`` rows (the extra one only says a next page exists)."""
    page = rows[: args.first]
    edges = [Edge(cursor=encode_cursor(r.id), node=to_node(r)) for r in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > args.first,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


async def fetch_page(
    session: AsyncSession, stmt: Select[Any], id_column: InstrumentedAttribute[str], args: PageArgs
) -> list[Any]:
    """Rows of one page of ``stmt`` ordered by id, plus one to tell if more follow."""
    if args.after_id is not None:
        stmt = stmt.where(id_column > args.after_id)
    stmt = stmt.order_by(id_column).limit(args.first + 1)
    return list((await session.execute(stmt)).scalars().all())


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
    if args.after_id is not None:
        filters.append(id_column > args.after_id)
    numbered = (
        select(
            id_column.label("child_id"),
            func.row_number()
            .over(partition_by=parent_column, order_by=id_column)
            .label("position"),
        )
        .where(*filters)
        .subquery()
    )
    stmt = (
        select(model)
        .join(numbered, numbered.c.child_id == id_column)
        .where(numbered.c.position <= args.first + 1)
        .order_by(id_column)
        .options(*options)
    )
    pages: dict[str, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    for child in (await session.execute(stmt)).scalars().all():
        pages[getattr(child, parent_column.key)].append(child)
    return pages
