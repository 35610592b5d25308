"""The invoices subgraph schema: queries and mutations."""

from __future__ import annotations

import strawberry

from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, build_connection
from subgraphs.common.schema import SubgraphSchema

from . import repository
from .types import BillingSubscription, Customer, Info, Invoice, InvoiceFilter, Order


@strawberry.type
class Query:
    @strawberry.field(description="An invoice by id, or null if there is none.")
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        row = await info.context.loaders.invoice.load(id)
        return Invoice.from_row(row) if row else None

    @strawberry.field(description="Invoices ordered by id, newest last.")
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: InvoiceFilter | None = None,
    ) -> Connection[Invoice]:
        args = info.context.page_args(first, after)
        where = filter or InvoiceFilter()
        criteria = repository.InvoiceFilter(
            status=where.status.value if where.status else None,
            customer_id=where.customer_id,
        )
        async with info.context.db.read() as session:
            rows = await repository.list_invoices(session, page=args, where=criteria)
        return build_connection(rows, args, Invoice.from_row)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Void a DRAFT or OPEN invoice; PAID and VOID ones conflict.")
    async def void_invoice(self, info: Info, id: strawberry.ID) -> Invoice:
        async with info.context.db.transaction() as session:
            await repository.void_invoice(session, invoice_id=id)
        loaders = info.context.loaders
        return Invoice.from_row(await reload_after_write(loaders, loaders.invoice, id))


schema = SubgraphSchema(
    query=Query, mutation=Mutation, types=[Invoice, Customer, Order, BillingSubscription]
)
