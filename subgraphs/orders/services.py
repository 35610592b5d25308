"""What the orders resolvers share for the app's lifetime: clients of the peer services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

from fastapi import FastAPI

from subgraphs.common.clients import CustomersClient, InvoicesClient, http_client
from subgraphs.common.service_tokens import signer_for
from subgraphs.common.settings import SubgraphSettings

from .payment import OrderPayments


def order_payments(info: Any) -> OrderPayments:
    """The payment flow of the app serving this request."""
    return cast(OrderPayments, info.context.request.app.state.order_payments)


@asynccontextmanager
async def payments_hook(app: FastAPI) -> AsyncIterator[None]:
    settings: SubgraphSettings = app.state.settings
    signer = signer_for(settings)
    async with http_client(settings) as http:
        app.state.order_payments = OrderPayments(
            invoices=InvoicesClient(http, settings.invoices_url, signer),
            customers=CustomersClient(http, settings.customers_url, signer),
        )
        yield
