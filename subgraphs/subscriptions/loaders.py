"""DataLoaders of the subscriptions service."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import PageKey, by_id_loader, child_page_loader
from subgraphs.common.settings import SubgraphSettings

from . import repository
from .models import PlanRow, SubscriptionRow


@dataclass
class Loaders:
    plan: DataLoader[str, PlanRow | None]
    subscription: DataLoader[str, SubscriptionRow | None]
    customer_subscriptions: DataLoader[PageKey, list[SubscriptionRow]]


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    return Loaders(
        plan=by_id_loader(db, lambda s, ids: repository.plans_by_ids(s, ids=ids)),
        subscription=by_id_loader(db, lambda s, ids: repository.subscriptions_by_ids(s, ids=ids)),
        customer_subscriptions=child_page_loader(
            db,
            lambda s, ids, page, status: repository.subscriptions_of_customers(
                s, customer_ids=ids, page=page, status=status
            ),
        ),
    )
