"""Telling the orders service that money settled on an order's invoice, at least once.

Why push through an outbox, not have orders poll: the invoices service owns the money and
knows the moment it moves, in the transaction that records it. ``notify_order`` writes an
``order_events`` row in that very transaction (charge captured, refund made), so the event
exists exactly when the settlement does, whichever path settled it (a client's payInvoice,
refundPayment, a retry, the reconciler after a crash). A dispatcher POSTs each row to the
orders service's ``/internal/invoice-state`` with the row's key as ``Idempotency-Key`` until
orders acknowledges it, backing off while orders is down, so a crash of either side loses
nothing. Polling from orders would need a change feed with a cursor (ids commit out of order
on PostgreSQL, so a cursor skips rows) or a scan of every PAID order forever for refunds.

Each event carries the invoice's whole money state (``InvoiceState``), not a delta: orders
applies it monotonically, so duplicates and out-of-order deliveries are harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.app import LifespanHook
from subgraphs.common.db import BACKGROUND_POOL, create_engine, session_factory
from subgraphs.common.events import (
    Deliver,
    EventDispatcher,
    Outcome,
    RetryLater,
    enqueue_event,
)
from subgraphs.common.internal import internal_headers
from subgraphs.common.invoice_state import SETTLED, InvoiceState, SettledStatus
from subgraphs.common.service_tokens import ServiceSigner, signed_headers, signer_for
from subgraphs.common.settings import SubgraphSettings

from .config import PaymentSettings
from .models import InvoiceRow, OrderEventRow, PaymentRow

ROUTE = "/internal/invoice-state"
# The receiver's answers that no retry changes: a bad payload, an unknown order.
PERMANENT = frozenset({400, 404, 409, 422})


async def invoice_state(session: AsyncSession, invoice_id: str) -> InvoiceState | None:
    """The money state of an order's settled invoice; None if it has no order or no money."""
    invoice = await session.get(InvoiceRow, invoice_id, populate_existing=True)
    if invoice is None or invoice.order_id is None or invoice.status not in SETTLED:
        return None
    assert invoice.paid_at is not None  # a settled invoice was paid
    refunded = await session.scalar(
        select(func.coalesce(func.sum(PaymentRow.amount_refunded), 0)).where(
            PaymentRow.invoice_id == invoice_id
        )
    )
    status: SettledStatus = invoice.status  # type: ignore[assignment]
    return InvoiceState(
        invoice_id=invoice.id,
        order_id=invoice.order_id,
        status=status,
        paid_at=invoice.paid_at,
        amount_paid=invoice.total,
        amount_refunded=int(refunded or 0),
        currency=invoice.currency,
    )


async def notify_order(session: AsyncSession, *, invoice_id: str, cause: str) -> None:
    """In the settling transaction: an event for the invoice's order, if it has one."""
    state = await invoice_state(session, invoice_id)
    if state is not None:
        payload: dict[str, Any] = dict(state.to_wire())
        await enqueue_event(session, OrderEventRow, key=f"order-event:{cause}", payload=payload)


def http_delivery(
    http: httpx.AsyncClient, orders_url: str, signer: ServiceSigner | None = None
) -> Deliver:
    """POST an event to the orders service; 2xx delivered, 4xx rejected, else retried."""
    url = orders_url.rstrip("/").removesuffix("/graphql") + ROUTE

    async def deliver(key: str, payload: dict[str, Any]) -> Outcome:
        headers = {"Idempotency-Key": key, **signed_headers(signer, "orders")}
        try:
            response = await http.post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise RetryLater(f"orders did not answer: {type(exc).__name__}") from exc
        if response.is_success:
            return "DELIVERED"
        if response.status_code in PERMANENT:
            return "REJECTED"
        raise RetryLater(f"orders answered HTTP {response.status_code}")

    return deliver


def order_events_hook(settings: SubgraphSettings, payments: PaymentSettings) -> LifespanHook:
    """Run the dispatcher (its own engine and HTTP client) unless the settings say no."""

    @asynccontextmanager
    async def hook(_app: FastAPI) -> AsyncIterator[None]:
        if not payments.order_events_enabled:
            yield
            return
        engine = create_engine(settings.database_url, pool=BACKGROUND_POOL)
        headers = internal_headers(settings.internal_token)
        async with httpx.AsyncClient(timeout=payments.orders_timeout, headers=headers) as http:
            dispatcher = EventDispatcher(
                session_factory(engine),
                OrderEventRow,
                http_delivery(http, payments.orders_url, signer_for(settings)),
                max_retry=timedelta(seconds=payments.order_events_max_retry),
                max_attempts=settings.outbox_max_attempts,
            )
            task = asyncio.create_task(dispatcher.run(payments.order_events_poll))
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await engine.dispose()

    return hook
