"""The per-request context every resolver receives."""

from __future__ import annotations

from typing import Generic, TypeVar

from strawberry.fastapi import BaseContext

from .db import RequestDb
from .identity import Identity
from .pagination import PageArgs, SortOrder, page_args
from .settings import SubgraphSettings

L = TypeVar("L")


class SubgraphContext(BaseContext, Generic[L]):
    """Request-scoped: the verified identity, the database session, settings, DataLoaders."""

    def __init__(
        self, db: RequestDb, settings: SubgraphSettings, loaders: L, identity: Identity
    ) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.loaders = loaders
        self.identity = identity

    def page_args(
        self, first: int | None, after: str | None, order: SortOrder | None = None
    ) -> PageArgs:
        """``first``/``after``/``orderBy`` checked against the service's page sizes."""
        return page_args(
            first,
            after,
            default=self.settings.default_page_size,
            maximum=self.settings.max_page_size,
            order=order,
        )
