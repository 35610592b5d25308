"""The subscriptions service app."""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.clock import parse_clock
from subgraphs.common.outbox import outbox_hook
from subgraphs.common.realtime import realtime_hook
from subgraphs.common.settings import SubgraphSettings

from .loaders import make_loaders
from .models import OutboxRow
from .realtime import WATCHED
from .schema import OUTBOXES, schema
from .services import billing_hook


def create_app(settings: SubgraphSettings) -> FastAPI:
    parse_clock(settings.clock)  # a bad SUBSCRIPTIONS_CLOCK fails at start, not per request
    return create_subgraph_app(
        settings,
        schema,
        make_loaders,
        hooks=[
            billing_hook,
            outbox_hook(OutboxRow),
            realtime_hook(WATCHED, settings.events_redis_url, settings.name),
        ],
        outboxes=OUTBOXES,
    )
