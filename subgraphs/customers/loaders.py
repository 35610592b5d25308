"""DataLoaders of the customers service."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import by_id_loader
from subgraphs.common.settings import SubgraphSettings

from . import repository
from .models import CustomerRow, PaymentMethodRow


@dataclass
class Loaders:
    customer: DataLoader[str, CustomerRow | None]
    payment_method: DataLoader[str, PaymentMethodRow | None]


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    return Loaders(
        customer=by_id_loader(db, lambda s, ids: repository.customers_by_ids(s, ids=ids)),
        payment_method=by_id_loader(
            db, lambda s, ids: repository.payment_methods_by_ids(s, ids=ids)
        ),
    )
