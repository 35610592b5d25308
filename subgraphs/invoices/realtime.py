"""The invoices service's subscriptions: an invoice as its status and payment change."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from subgraphs.common.ids import check_id
from subgraphs.common.realtime import entity_changes, owned_changes

from .loaders import make_loaders
from .models import InvoiceRow
from .types import Info, Invoice

WATCHED = (InvoiceRow,)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The invoice now, then again after each committed change of its status "
        "(e.g. OPEN → PAID when a payment settles, VOID). Ends at once if there is none."
    )
    async def invoice_changed(
        self, info: Info, invoice_id: strawberry.ID
    ) -> AsyncGenerator[Invoice, None]:
        row_id = check_id(invoice_id, field="invoiceId")

        async def resolve() -> Invoice | None:
            return await Invoice.resolve_reference(info, strawberry.ID(row_id))

        async for invoice in entity_changes(
            info, InvoiceRow, row_id, resolve, make_loaders, lambda i: (i.status, i.paid_at)
        ):
            yield invoice

    @strawberry.subscription(
        description="Each invoice of the customer after a committed change of its status "
        "(issued, paid, voided); nothing is sent at subscribe time."
    )
    async def invoice_events(
        self, info: Info, customer_id: strawberry.ID
    ) -> AsyncGenerator[Invoice, None]:
        owner = check_id(customer_id, field="customerId")

        async def resolve(row_id: str) -> Invoice | None:
            return await Invoice.resolve_reference(info, strawberry.ID(row_id))

        async for invoice in owned_changes(
            info, InvoiceRow, owner, resolve, lambda i: i.customer_id, make_loaders,
            lambda i: (i.status, i.paid_at),
        ):  # fmt: skip
            yield invoice
