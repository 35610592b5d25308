"""DataLoaders of the orders service."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import PageKey, by_id_loader, child_page_loader
from subgraphs.common.settings import SubgraphSettings

from . import repository
from .models import OrderRow, ProductRow


@dataclass
class Loaders:
    product: DataLoader[str, ProductRow | None]
    order: DataLoader[str, OrderRow | None]
    customer_orders: DataLoader[PageKey, list[OrderRow]]


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    return Loaders(
        product=by_id_loader(db, lambda s, ids: repository.products_by_ids(s, ids=ids)),
        order=by_id_loader(db, lambda s, ids: repository.orders_by_ids(s, ids=ids)),
        customer_orders=child_page_loader(
            db,
            lambda s, ids, page, status: repository.orders_of_customers(
                s, customer_ids=ids, page=page, status=status
            ),
        ),
    )
