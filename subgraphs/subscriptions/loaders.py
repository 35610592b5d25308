"""DataLoaders of the subscriptions service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import by_id_loader, clear_loaders
from subgraphs.common.pagination import PageArgs
from subgraphs.common.settings import SubgraphSettings

from . import repository
from .models import PlanRow, SubscriptionRow

PageKey = tuple[PageArgs, str | None]
LoadPages = Callable[[list[str]], Awaitable[list[list[SubscriptionRow]]]]


class CustomerSubscriptionPages:
    """Customers' subscription pages: one DataLoader per distinct (page, status) request.

    Each loader is keyed by customer id, so every customer in one tick that asks for the
    same page costs one statement together.
    """

    def __init__(self, db: RequestDb) -> None:
        self._db = db
        self._loaders: dict[PageKey, DataLoader[str, list[SubscriptionRow]]] = {}

    def __call__(
        self, page: PageArgs, status: str | None
    ) -> DataLoader[str, list[SubscriptionRow]]:
        key = (page, status)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(load_fn=self._load_fn(page, status))
        return self._loaders[key]

    def _load_fn(self, page: PageArgs, status: str | None) -> LoadPages:
        async def load(customer_ids: list[str]) -> list[list[SubscriptionRow]]:
            async with self._db.read() as session:
                pages = await repository.subscriptions_of_customers(
                    session, customer_ids=customer_ids, page=page, status=status
                )
            return [pages[customer_id] for customer_id in customer_ids]

        return load

    def clear(self) -> None:
        self._loaders.clear()


@dataclass
class Loaders:
    plan: DataLoader[str, PlanRow | None]
    subscription: DataLoader[str, SubscriptionRow | None]
    customer_subscriptions: CustomerSubscriptionPages


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    plan = by_id_loader(db, lambda s, ids: repository.plans_by_ids(s, ids=ids))

    async def subscriptions(session: AsyncSession, ids: Sequence[str]) -> list[SubscriptionRow]:
        rows = await repository.subscriptions_by_ids(session, ids=ids)
        remember_plans(plan, rows)
        return rows

    return Loaders(
        plan=plan,
        subscription=by_id_loader(db, subscriptions),
        customer_subscriptions=CustomerSubscriptionPages(db),
    )


def remember_plans(
    loader: DataLoader[str, PlanRow | None], rows: Iterable[SubscriptionRow]
) -> None:
    """Prime the plan loader with plans loaded alongside subscriptions: no second query."""
    loader.prime_many({row.plan_id: row.plan for row in rows})


def forget_all(loaders: Loaders) -> None:
    """Forget every cached value after a write, the per-page loaders included."""
    clear_loaders(loaders)
    loaders.customer_subscriptions.clear()
