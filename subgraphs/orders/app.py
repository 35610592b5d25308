"""The orders service app."""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.outbox import outbox_hook
from subgraphs.common.realtime import realtime_hook
from subgraphs.common.settings import SubgraphSettings

from . import invoice_sync
from .loaders import make_loaders
from .models import OutboxRow
from .realtime import WATCHED
from .schema import OUTBOXES, schema
from .services import payments_hook


def create_app(settings: SubgraphSettings) -> FastAPI:
    app = create_subgraph_app(
        settings,
        schema,
        make_loaders,
        hooks=[
            payments_hook,
            outbox_hook(OutboxRow),
            realtime_hook(WATCHED, settings.events_redis_url, settings.name),
        ],
        outboxes=OUTBOXES,
    )
    app.include_router(invoice_sync.router)
    return app
