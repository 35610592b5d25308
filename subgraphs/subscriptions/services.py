"""What the subscriptions resolvers and the billing scheduler share for the app's lifetime."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

from fastapi import FastAPI

from subgraphs.common.clients import (
    CustomersClient,
    FailureLog,
    InvoicesClient,
    health_url,
    http_client,
    wait_until_ready,
)
from subgraphs.common.clock import Clock, ManualClock, parse_clock
from subgraphs.common.service_tokens import signer_for
from subgraphs.common.settings import SubgraphSettings

from .billing import Biller, CycleReport

logger = logging.getLogger("switchboard.billing")


@dataclass(frozen=True)
class BillingServices:
    clock: Clock | ManualClock
    biller: Biller


def billing_services(info: Any) -> BillingServices:
    """The services of the app serving this request."""
    return cast(BillingServices, info.context.request.app.state.billing)


@asynccontextmanager
async def billing_hook(app: FastAPI) -> AsyncIterator[None]:
    """HTTP clients to the peers, the clock, and the scheduler loop if it is switched on."""
    settings: SubgraphSettings = app.state.settings
    signer = signer_for(settings)
    async with http_client(settings) as http:
        biller = Biller(
            http,
            app.state.sessions,
            InvoicesClient(http, settings.invoices_url, signer),
            CustomersClient(http, settings.customers_url, signer),
        )
        services = BillingServices(parse_clock(settings.clock), biller)
        app.state.billing = services
        interval = settings.billing_interval_seconds
        peers = (health_url(settings.invoices_url), health_url(settings.customers_url))
        task = asyncio.create_task(schedule(services, interval, peers)) if interval > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


async def schedule(services: BillingServices, interval: float, peers: Sequence[str] = ()) -> None:
    """Once ``peers`` are ready, run a billing cycle every ``interval`` seconds at the clock's
    time, until cancelled. Each failure is logged with its reason, once."""
    await wait_until_ready(services.biller.http, peers)
    reported = FailureLog(logger)
    while True:
        try:
            report = await services.biller.run_cycle(services.clock.now())
            if report.results:
                logger.info("billing cycle at %s: %s", report.as_of.isoformat(), summary(report))
            for result in report.results:
                if result.outcome == "ERROR":
                    reported.once(result.subscription_id, result.message or "no reason given")
        except Exception as exc:  # one failed cycle must not stop the next
            reported.once("cycle", f"{type(exc).__name__}: {exc}", exc_info=True)
        await asyncio.sleep(interval)


def summary(report: CycleReport) -> str:
    """``14 paid, 1 declined, 1 ended``: the outcomes of a cycle, most frequent first."""
    counts = Counter(r.outcome for r in report.results)
    return ", ".join(f"{n} {outcome.lower()}" for outcome, n in counts.most_common())
