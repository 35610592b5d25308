"""The invoices service app: the subgraph, PDFs, payments, their reconciler, order events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from subgraphs.common.app import LifespanHook, create_subgraph_app
from subgraphs.common.outbox import outbox_hook
from subgraphs.common.realtime import realtime_hook
from subgraphs.common.service_tokens import signer_for
from subgraphs.common.settings import SubgraphSettings

from .config import PaymentSettings
from .http_routes import router
from .loaders import make_loaders
from .models import OutboxRow
from .order_events import order_events_hook
from .realtime import WATCHED
from .reconcile import has_pending, reconcile_forever
from .runtime import open_runtime
from .schema import OUTBOXES, schema
from .webhooks import webhooks_hook


def payments_hook(settings: SubgraphSettings, payments: PaymentSettings) -> LifespanHook:
    """Open the bank and customers clients; reconcile at startup if needed, then periodically."""

    @asynccontextmanager
    async def hook(app: FastAPI) -> AsyncIterator[None]:
        signer = signer_for(settings)
        customers = settings.customers_url
        async with open_runtime(payments, app.state.sessions, customers, signer) as runtime:
            app.state.payments = runtime
            startup = await has_pending(runtime)
            reconciler = asyncio.create_task(reconcile_forever(runtime, now=startup))
            try:
                yield
            finally:
                reconciler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reconciler

    return hook


def create_app(settings: SubgraphSettings, payments: PaymentSettings | None = None) -> FastAPI:
    """The app; ``payments`` defaults to the ``INVOICES_*`` environment."""
    payment_settings = payments or PaymentSettings.for_service(settings)
    hooks = [
        payments_hook(settings, payment_settings),
        outbox_hook(OutboxRow),
        order_events_hook(settings, payment_settings),
        webhooks_hook(settings, payment_settings),
        realtime_hook(WATCHED, settings.events_redis_url, settings.name),
    ]
    app = create_subgraph_app(settings, schema, make_loaders, hooks, outboxes=OUTBOXES)
    app.include_router(router)
    return app
