"""DataLoaders of the invoices service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import by_id_loader
from subgraphs.common.pagination import PageArgs
from subgraphs.common.settings import SubgraphSettings

from . import repository
from .models import InvoiceLineRow, InvoiceRow
from .repository import Balance

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class PageKey:
    """One parent's page of invoices: the parent's id, the page, and a status filter."""

    parent_id: str
    page: PageArgs
    status: str | None = None


@dataclass
class Loaders:
    invoice: DataLoader[str, InvoiceRow | None]
    lines: DataLoader[str, list[InvoiceLineRow]]
    invoice_by_order: DataLoader[str, InvoiceRow | None]
    customer_invoices: DataLoader[PageKey, list[InvoiceRow]]
    subscription_invoices: DataLoader[PageKey, list[InvoiceRow]]
    outstanding: DataLoader[str, list[Balance]]


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    return Loaders(
        invoice=by_id_loader(db, lambda s, ids: repository.invoices_by_ids(s, ids=ids)),
        lines=keyed_loader(
            db, lambda s, ids: repository.lines_by_invoice_ids(s, invoice_ids=ids), []
        ),
        invoice_by_order=keyed_loader(
            db, lambda s, ids: repository.invoices_by_order_ids(s, order_ids=ids), None
        ),
        customer_invoices=page_loader(
            db,
            lambda s, ids, page, status: repository.invoice_pages_by_customer(
                s, customer_ids=ids, page=page, status=status
            ),
        ),
        subscription_invoices=page_loader(
            db,
            lambda s, ids, page, _status: repository.invoice_pages_by_subscription(
                s, subscription_ids=ids, page=page
            ),
        ),
        outstanding=keyed_loader(
            db, lambda s, ids: repository.outstanding_by_customer(s, customer_ids=ids), []
        ),
    )


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


PageFetch = Callable[
    [AsyncSession, Sequence[str], PageArgs, str | None], Awaitable[dict[str, list[InvoiceRow]]]
]


def page_loader(db: RequestDb, fetch: PageFetch) -> DataLoader[PageKey, list[InvoiceRow]]:
    """Pages of invoices for many parents: one statement per distinct (page, status)."""

    async def load(keys: list[PageKey]) -> list[list[InvoiceRow]]:
        groups: dict[tuple[PageArgs, str | None], list[str]] = {}
        for key in keys:
            groups.setdefault((key.page, key.status), []).append(key.parent_id)
        found: dict[PageKey, list[InvoiceRow]] = {}
        async with db.read() as session:
            for (page, status), parent_ids in groups.items():
                pages = await fetch(session, parent_ids, page, status)
                for parent_id, rows in pages.items():
                    found[PageKey(parent_id, page, status)] = rows
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
