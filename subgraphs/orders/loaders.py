"""DataLoaders of the orders service."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import by_id_loader
from subgraphs.common.pagination import PageArgs
from subgraphs.common.settings import SubgraphSettings

from . import repository
from .models import OrderRow, ProductRow


@dataclass(frozen=True, slots=True)
class CustomerOrdersKey:
    """One customer's page of orders; keys with equal page and status share a statement."""

    customer_id: str
    page: PageArgs
    status: str | None


@dataclass
class Loaders:
    product: DataLoader[str, ProductRow | None]
    order: DataLoader[str, OrderRow | None]
    customer_orders: DataLoader[CustomerOrdersKey, list[OrderRow]]


def customer_orders_loader(db: RequestDb) -> DataLoader[CustomerOrdersKey, list[OrderRow]]:
    """Pages of many customers' orders: one statement per distinct (page, status)."""

    async def load(keys: list[CustomerOrdersKey]) -> list[list[OrderRow]]:
        groups: dict[tuple[PageArgs, str | None], list[str]] = defaultdict(list)
        for key in keys:
            groups[key.page, key.status].append(key.customer_id)
        pages: dict[CustomerOrdersKey, list[OrderRow]] = {}
        async with db.read() as session:
            for (page, status), customer_ids in groups.items():
                found = await repository.orders_of_customers(
                    session, customer_ids=customer_ids, page=page, status=status
                )
                for customer_id, orders in found.items():
                    pages[CustomerOrdersKey(customer_id, page, status)] = orders
        return [pages[key] for key in keys]

    return DataLoader(load_fn=load)


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    return Loaders(
        product=by_id_loader(db, lambda s, ids: repository.products_by_ids(s, ids=ids)),
        order=by_id_loader(db, lambda s, ids: repository.orders_by_ids(s, ids=ids)),
        customer_orders=customer_orders_loader(db),
    )
