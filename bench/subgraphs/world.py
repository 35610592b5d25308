"""The benchmark's data (`data.json`) and the rules that derive the fields it does not store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Record = dict[str, Any]

SHARED_BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"

# What data.json does not say, taken from the graphql-gateways-benchmark subgraphs so the
# response is that workload's (87.6 KB): every review is written by user 1, and the reviews
# subgraph answers every user's `reviews` with the first two reviews.
AUTHOR_ID = "1"
REVIEWS_PER_USER = 2
FREE_SHIPPING_ABOVE_PRICE = 1000


@dataclass(frozen=True)
class World:
    """Users, products (catalogue joined with stock) and reviews, indexed by key."""

    users: dict[str, Record]
    products: dict[str, Record]
    in_stock: dict[str, bool]
    reviews: list[Record]

    def user(self, user_id: str) -> Record | None:
        return self.users.get(user_id)

    def product(self, upc: str) -> Record | None:
        return self.products.get(upc)

    def top_products(self, first: int) -> list[Record]:
        return list(self.products.values())[: max(first, 0)]

    def reviews_of_product(self, upc: str) -> list[Record]:
        return [r for r in self.reviews if r["product"]["upc"] == upc]

    def reviews_of_user(self, user_id: str) -> list[Record]:
        return self.reviews[:REVIEWS_PER_USER] if user_id in self.users else []

    def author_of(self, review: Record) -> Record:
        return self.users[AUTHOR_ID]


def shipping_estimate(price: int | None, weight: int | None) -> int | None:
    """Free above a price, else half the weight (the `@requires(fields: "price weight")`)."""
    if price is None:
        return None
    if price > FREE_SHIPPING_ABOVE_PRICE:
        return 0
    return None if weight is None else weight // 2


def load_world(path: Path = SHARED_BENCH / "data.json") -> World:
    data = json.loads(path.read_text())
    return World(
        users={u["id"]: u for u in data["users"]},
        products={p["upc"]: p for p in data["products"]},
        in_stock={i["upc"]: i["inStock"] for i in data["inventory"]},
        reviews=list(data["reviews"]),
    )
