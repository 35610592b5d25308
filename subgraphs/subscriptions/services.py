"""What the subscriptions resolvers and the billing scheduler share for the app's lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from fastapi import FastAPI

from subgraphs.common.clients import CustomersClient, InvoicesClient, http_client
from subgraphs.common.settings import SubgraphSettings

from .billing import Biller
from .clock import Clock, parse_clock

logger = logging.getLogger("switchboard.billing")


@dataclass(frozen=True)
class BillingServices:
    clock: Clock
    biller: Biller


def billing_services(info: Any) -> BillingServices:
    """The services of the app serving this request."""
    return cast(BillingServices, info.context.request.app.state.billing)


@asynccontextmanager
async def billing_hook(app: FastAPI) -> AsyncIterator[None]:
    """HTTP clients to the peers, the clock, and the scheduler loop if it is switched on."""
    settings: SubgraphSettings = app.state.settings
    async with http_client(settings) as http:
        biller = Biller(
            app.state.sessions,
            InvoicesClient(http, settings.invoices_url),
            CustomersClient(http, settings.customers_url),
        )
        services = BillingServices(parse_clock(settings.clock), biller)
        app.state.billing = services
        interval = settings.billing_interval_seconds
        task = asyncio.create_task(schedule(services, interval)) if interval > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


async def schedule(services: BillingServices, interval: float) -> None:
    """Run a billing cycle every ``interval`` seconds at the clock's time, until cancelled."""
    while True:
        try:
            report = await services.biller.run_cycle(services.clock.now())
            if report.results:
                outcomes = {o: report.count(o) for o in {r.outcome for r in report.results}}
                logger.info("billing cycle at %s: %s", report.as_of.isoformat(), outcomes)
        except Exception:  # one failed cycle must not stop the next
            logger.exception("billing cycle failed")
        await asyncio.sleep(interval)
