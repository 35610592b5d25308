"""What the invoices service's payments need at run time: settings and pooled clients."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from subgraphs.common.clients import (
    CustomerProfile,
    CustomersClient,
    PeerRefused,
    PeerUnavailable,
    unavailable,
)
from subgraphs.common.db import RequestDb
from subgraphs.common.service_tokens import ServiceSigner

from . import payments_repository as repo
from .bank_client import Attempt, AttemptHook, BankClient
from .config import PaymentSettings
from .links import PdfLinks

T = TypeVar("T")
logger = logging.getLogger("switchboard.invoices")


@dataclass(frozen=True)
class Runtime:
    settings: PaymentSettings
    bank: BankClient
    customers: CustomersClient
    sessions: async_sessionmaker[AsyncSession]
    links: PdfLinks

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a write transaction of its own, committed on success."""
        db = RequestDb(self.sessions)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.close()

    def recorder(self, payment_id: str, refund_id: str | None) -> AttemptHook:
        """A hook that records each bank attempt in its own transaction (kept on a crash)."""

        async def record(attempt: Attempt) -> None:
            async def add(session: AsyncSession) -> None:
                session.add(repo.attempt_row(payment_id, refund_id, attempt))

            await self.write(add)

        return record

    async def profile(self, customer_id: str) -> CustomerProfile | None:
        """The customer's profile; SERVICE_UNAVAILABLE if the customers service cannot say."""
        try:
            return await self.customers.profile(customer_id)
        except PeerUnavailable as exc:
            raise unavailable(exc) from exc
        except PeerRefused as exc:  # e.g. an id it refuses: then it has no such customer
            if exc.code in ("BAD_USER_INPUT", "NOT_FOUND"):
                return None
            raise unavailable(PeerUnavailable("customers", str(exc))) from exc

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        db = RequestDb(self.sessions)
        try:
            async with db.read() as session:
                return await work(session)
        finally:
            await db.close()


@asynccontextmanager
async def open_runtime(
    settings: PaymentSettings,
    sessions: async_sessionmaker[AsyncSession],
    customers_url: str,
    signer: ServiceSigner | None,
) -> AsyncIterator[Runtime]:
    """A runtime whose HTTP clients are closed on exit."""
    bank_timeout = httpx.Timeout(settings.bank_timeout, connect=settings.bank_connect_timeout)
    api_key = settings.bank_api_key.get_secret_value()
    if not api_key:
        logger.warning("INVOICES_BANK_API_KEY is not set: the bank refuses every payment")
    bank_headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with (
        httpx.AsyncClient(
            base_url=settings.bank_url, timeout=bank_timeout, headers=bank_headers
        ) as bank_http,
        httpx.AsyncClient(timeout=settings.customers_timeout) as customers_http,
    ):
        yield Runtime(
            settings=settings,
            bank=BankClient(
                bank_http,
                max_attempts=settings.bank_max_attempts,
                backoff=settings.bank_backoff,
            ),
            customers=CustomersClient(customers_http, customers_url, signer),
            sessions=sessions,
            links=PdfLinks.of(settings),
        )


def runtime_of(context: Any) -> Runtime:
    """The runtime of the app serving ``context``'s request."""
    found: Runtime = context.request.app.state.payments
    return found
