"""The invoices subgraph schema: queries and mutations."""

from __future__ import annotations

import strawberry
import strawberry.federation as fed

from subgraphs.common.admin import BILLING_WRITE, REFUNDS_WRITE, require_staff
from subgraphs.common.deadletters import DeadLetter, list_dead_letters
from subgraphs.common.identity import owner_of
from subgraphs.common.ids import check_id
from subgraphs.common.inputs import check_list
from subgraphs.common.loaders import reload_after_write
from subgraphs.common.pagination import Connection, SortOrder, build_connection
from subgraphs.common.schema import SubgraphSchema

from . import issuing, payments, repository
from .models import InvoiceRow, OrderEventRow, OutboxRow, WebhookDeliveryRow
from .payment_types import (
    Payment,
    PaymentDeclined,
    PaymentFailed,
    PaymentMethod,
    PaymentPending,
    PaymentResult,
    PaymentSucceeded,
    Refund,
    RefundFailed,
    RefundPending,
    RefundResult,
    RefundSucceeded,
    payment_result,
    refund_result,
)
from .realtime import Subscription
from .runtime import runtime_of
from .types import (
    BillingSubscription,
    Customer,
    Info,
    Invoice,
    InvoiceFilter,
    IssueInvoiceInput,
    MoneyInput,
    Order,
)
from .webhook_types import (
    WebhookEndpoint,
    WebhookEndpointCreated,
    create_webhook_endpoint,
    webhook_endpoints,
)

OUTBOXES = {"emails": OutboxRow, "order-events": OrderEventRow, "webhooks": WebhookDeliveryRow}


@strawberry.type
class Query:
    @fed.field(
        description="An invoice by id, or null if there is none (or it is not yours).",
        authenticated=True,
    )
    async def invoice(self, info: Info, id: strawberry.ID) -> Invoice | None:
        return await Invoice.visible(info, check_id(id))

    @fed.field(
        description="Invoices oldest first unless orderBy says NEWEST_FIRST (a customer's: "
        "its own).",
        authenticated=True,
    )
    async def invoices(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order_by: SortOrder = SortOrder.OLDEST_FIRST,
        filter: InvoiceFilter | None = None,
    ) -> Connection[Invoice]:
        args = info.context.page_args(first, after, order_by)
        where = filter or InvoiceFilter()
        requested = (
            check_id(where.customer_id, field="customerId")
            if where.customer_id is not None
            else None
        )
        criteria = repository.InvoiceFilter(
            status=where.status.value if where.status else None,
            customer_id=info.context.identity.narrow(requested),
        )
        async with info.context.db.read() as session:
            rows = await repository.list_invoices(session, page=args, where=criteria)
        return build_connection(rows, args, Invoice.from_row)

    @fed.field(
        description="A payment by id, or null if there is none (or it is not yours).",
        authenticated=True,
    )
    async def payment(self, info: Info, id: strawberry.ID) -> Payment | None:
        return await Payment.visible(info, check_id(id))

    @fed.field(
        description="Admin only: the newest outbox rows this service "
        "gave up delivering (rejected, or out of attempts), newest first.",
        requires_scopes=[["admin"]],
    )
    async def invoices_dead_letters(self, info: Info, limit: int = 50) -> list[DeadLetter]:
        return await list_dead_letters(info, "invoicesDeadLetters", OUTBOXES, limit)

    @fed.field(description="Admin only: the webhook endpoints.", requires_scopes=[["admin"]])
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        return await webhook_endpoints(info)


@strawberry.type
class Mutation:
    @fed.mutation(
        description="Admin only: deliver events (invoice.paid, payment.failed, "
        "refund.succeeded, … or '*') to an http(s) URL with a public address, signed with "
        "the secret answered here (Switchboard-Signature: t=…,v1=HMAC-SHA256).",
        requires_scopes=[["admin"]],
    )
    async def create_webhook_endpoint(
        self, info: Info, url: str, events: list[str]
    ) -> WebhookEndpointCreated:
        return await create_webhook_endpoint(info, url, events)

    @fed.mutation(
        description="Void a DRAFT or OPEN invoice; PAID and VOID ones conflict (billing:write).",
        requires_scopes=[[BILLING_WRITE], ["admin"]],
    )
    async def void_invoice(self, info: Info, id: strawberry.ID) -> Invoice:
        require_staff(info, "voidInvoice", BILLING_WRITE)
        async with info.context.db.transaction() as session:
            await repository.void_invoice(session, invoice_id=check_id(id))
        loaders = info.context.loaders
        return Invoice.from_row(await reload_after_write(loaders, loaders.invoice, id))

    @fed.mutation(
        description="Issue an OPEN invoice (for an order or a subscription period); "
        "repeating the same key returns the same invoice (billing:write).",
        requires_scopes=[[BILLING_WRITE], ["admin"]],
    )
    async def issue_invoice(
        self, info: Info, input: IssueInvoiceInput, idempotency_key: str
    ) -> Invoice:
        require_staff(info, "issueInvoice", BILLING_WRITE)
        lines = [
            repository.LineData(line.description, line.quantity, line.unit_amount, input.currency)
            for line in check_list(input.lines, "lines", repository.MAX_LINES)
        ]
        billed = repository.Billed(
            order_id=input.order_id,
            subscription_id=input.subscription_id,
            period_start=input.period_start,
            period_end=input.period_end,
        )
        invoice_id = await issuing.issue_invoice(
            runtime_of(info.context),
            info.context.db,
            customer_id=input.customer_id,
            currency=input.currency,
            lines=lines,
            billed=billed,
            key=idempotency_key,
            payload=strawberry.asdict(input),
        )
        loaders = info.context.loaders
        return Invoice.from_row(await reload_after_write(loaders, loaders.invoice, invoice_id))

    @fed.mutation(
        description="Charge an OPEN invoice's total to a card (the customer's default if "
        "none is named). Repeating the same key never charges twice. Your own invoices, or "
        "billing:write.",
        authenticated=True,
    )
    async def pay_invoice(
        self,
        info: Info,
        invoice_id: strawberry.ID,
        idempotency_key: str,
        payment_method_id: strawberry.ID | None = None,
    ) -> PaymentResult:
        owner = await owner_of(info.context.db, InvoiceRow, check_id(invoice_id, field="invoiceId"))
        info.context.identity.require("payInvoice", staff=[BILLING_WRITE], owner=owner)
        payment_id = await payments.pay_invoice(
            runtime_of(info.context),
            info.context.db,
            invoice_id=check_id(invoice_id, field="invoiceId"),
            payment_method_id=check_id(payment_method_id, field="paymentMethodId")
            if payment_method_id is not None
            else None,
            key=idempotency_key,
        )
        return await payment_result(info, payment_id)

    @fed.mutation(
        description="Refund part (amount) or all (no amount) of a captured payment; never "
        "more than was captured. Repeating the same key never refunds twice (refunds:write).",
        requires_scopes=[[REFUNDS_WRITE], ["admin"]],
    )
    async def refund_payment(
        self,
        info: Info,
        payment_id: strawberry.ID,
        idempotency_key: str,
        amount: MoneyInput | None = None,
    ) -> RefundResult:
        require_staff(info, "refundPayment", REFUNDS_WRITE)
        refund_id = await payments.refund_payment(
            runtime_of(info.context),
            info.context.db,
            payment_id=check_id(payment_id, field="paymentId"),
            amount=amount.amount if amount else None,
            currency=amount.currency if amount else None,
            key=idempotency_key,
        )
        return await refund_result(info, refund_id)


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[
        Invoice,
        Customer,
        Order,
        BillingSubscription,
        Payment,
        Refund,
        PaymentMethod,
        PaymentSucceeded,
        PaymentDeclined,
        PaymentPending,
        PaymentFailed,
        RefundSucceeded,
        RefundPending,
        RefundFailed,
    ],
)
