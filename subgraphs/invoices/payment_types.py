"""GraphQL types of payments and refunds, and the typed results of paying and refunding."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, TypeAlias

import strawberry
import strawberry.federation as fed
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from subgraphs.common.loaders import reload_after_write
from subgraphs.common.money import Money

from .models import PaymentAttemptRow, PaymentRow, RefundRow
from .types import Info, Invoice


@strawberry.enum(description="PENDING until the bank answers; then captured, declined or failed.")
class PaymentStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


@strawberry.enum
class RefundStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.enum(description="Why the bank declined a charge.")
class DeclineReason(Enum):
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    CARD_EXPIRED = "CARD_EXPIRED"
    CARD_DECLINED = "CARD_DECLINED"


DECLINE_CODES = {
    "insufficient_funds": DeclineReason.INSUFFICIENT_FUNDS,
    "expired_card": DeclineReason.CARD_EXPIRED,
}


@strawberry.enum(description="What an exchange with the bank was about.")
class BankOperation(Enum):
    CHARGE = "charge"
    REFUND = "refund"
    LOOKUP = "lookup"
    CANCEL = "cancel"


@strawberry.enum(description="How an exchange with the bank ended.")
class AttemptOutcome(Enum):
    OK = "ok"
    DECLINED = "declined"
    REJECTED = "rejected"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"


@strawberry.type(description="One HTTP exchange with the bank about a payment or its refunds.")
class PaymentAttempt:
    operation: BankOperation
    number: int = strawberry.field(description="1 for the first try of a call, 2 for its retry…")
    outcome: AttemptOutcome
    http_status: int | None
    error: str | None
    started_at: datetime
    duration_ms: int
    refund_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: PaymentAttemptRow) -> PaymentAttempt:
        return cls(
            operation=BankOperation(row.operation),
            number=row.number,
            outcome=AttemptOutcome(row.outcome),
            http_status=row.http_status,
            error=row.error,
            started_at=row.started_at,
            duration_ms=row.duration_ms,
            refund_id=strawberry.ID(row.refund_id) if row.refund_id else None,
        )


@fed.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class PaymentMethod:
    id: strawberry.ID


@fed.type(keys=["id"], authenticated=True, description="A charge of an invoice's total to a card.")
class Payment:
    id: strawberry.ID
    amount: Money
    amount_refunded: Money
    status: PaymentStatus
    decline_reason: DeclineReason | None
    message: str | None = strawberry.field(description="Why it was declined or failed.")
    bank_reference: str | None = strawberry.field(description="The bank's charge id.")
    created_at: datetime
    updated_at: datetime
    invoice_id: strawberry.Private[str]
    payment_method_id: strawberry.Private[str | None]

    @strawberry.field
    async def invoice(self, info: Info) -> Invoice:
        row = await info.context.loaders.invoice.load(self.invoice_id)
        assert row is not None  # foreign key
        return Invoice.from_row(row)

    @strawberry.field(description="The card charged.")
    def payment_method(self) -> PaymentMethod | None:
        pm = self.payment_method_id
        return PaymentMethod(id=strawberry.ID(pm)) if pm else None

    @strawberry.field(description="Every exchange with the bank about this payment, in order.")
    async def attempts(self, info: Info) -> list[PaymentAttempt]:
        rows = await info.context.loaders.payment_attempts.load(self.id)
        return [PaymentAttempt.from_row(row) for row in rows]

    @strawberry.field
    async def refunds(self, info: Info) -> list[Refund]:
        rows = await info.context.loaders.payment_refunds.load(self.id)
        return [Refund.from_row(row) for row in rows]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Payment | None:
        return await cls.visible(info, id)

    @classmethod
    async def visible(cls, info: Info, id: str) -> Payment | None:
        """The payment ``id`` if it exists and the identity may see its invoice; else None."""
        row = await info.context.loaders.payment.load(id)
        if row is None or await Invoice.visible(info, row.invoice_id) is None:
            return None
        return cls.from_row(row)

    @classmethod
    def from_row(cls, row: PaymentRow) -> Payment:
        declined = row.status == "DECLINED"
        reason = DECLINE_CODES.get(row.decline_code or "", DeclineReason.CARD_DECLINED)
        return cls(
            id=strawberry.ID(row.id),
            amount=Money(amount=row.amount, currency=row.currency),
            amount_refunded=Money(amount=row.amount_refunded, currency=row.currency),
            status=PaymentStatus(row.status),
            decline_reason=reason if declined else None,
            message=row.message,
            bank_reference=row.bank_charge_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            invoice_id=row.invoice_id,
            payment_method_id=row.payment_method_id,
        )


@fed.type(keys=["id"], authenticated=True, description="A refund of part or all of a payment.")
class Refund:
    id: strawberry.ID
    amount: Money
    status: RefundStatus
    message: str | None
    created_at: datetime
    updated_at: datetime
    payment_id: strawberry.Private[str]

    @strawberry.field
    async def payment(self, info: Info) -> Payment:
        row = await info.context.loaders.payment.load(self.payment_id)
        assert row is not None  # foreign key
        return Payment.from_row(row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Refund | None:
        row = await info.context.loaders.refund.load(id)
        if row is None or await Payment.visible(info, row.payment_id) is None:
            return None
        return cls.from_row(row)

    @classmethod
    def from_row(cls, row: RefundRow) -> Refund:
        return cls(
            id=strawberry.ID(row.id),
            amount=Money(amount=row.amount, currency=row.currency),
            status=RefundStatus(row.status),
            message=row.message,
            created_at=row.created_at,
            updated_at=row.updated_at,
            payment_id=row.payment_id,
        )


@strawberry.type(description="The bank captured the charge; the invoice is PAID.")
class PaymentSucceeded:
    invoice: Invoice
    payment: Payment


@strawberry.type(description="The bank declined the card; the invoice stays OPEN.")
class PaymentDeclined:
    invoice: Invoice
    payment: Payment
    reason: DeclineReason
    message: str


@strawberry.type(
    description="The bank could not be reached or did not answer: the outcome is unknown. "
    "Retry payInvoice with the same idempotencyKey; it never charges twice."
)
class PaymentPending:
    invoice: Invoice
    payment: Payment
    message: str


@strawberry.type(
    description="The bank has no charge for this payment: nothing was charged and the "
    "invoice stays OPEN. Pay again with a new idempotencyKey."
)
class PaymentFailed:
    invoice: Invoice
    payment: Payment
    message: str


PaymentResult: TypeAlias = Annotated[
    PaymentSucceeded | PaymentDeclined | PaymentPending | PaymentFailed,
    strawberry.union("PaymentResult"),
]


@strawberry.type(description="The bank refunded the amount.")
class RefundSucceeded:
    refund: Refund
    payment: Payment
    invoice: Invoice


@strawberry.type(
    description="The bank did not answer; retry refundPayment with the same idempotencyKey."
)
class RefundPending:
    refund: Refund
    payment: Payment
    invoice: Invoice
    message: str


@strawberry.type(description="The bank refused the refund; nothing was refunded.")
class RefundFailed:
    refund: Refund
    payment: Payment
    invoice: Invoice
    message: str


RefundResult: TypeAlias = Annotated[
    RefundSucceeded | RefundPending | RefundFailed, strawberry.union("RefundResult")
]

PENDING_MESSAGE = "The bank did not answer in time; retry with the same idempotencyKey."


async def payment_result(info: Info, payment_id: str) -> PaymentResult:
    """The typed result of a payment, read after it was written."""
    loaders = info.context.loaders
    row = await reload_after_write(loaders, loaders.payment, payment_id)
    invoice_row = await loaders.invoice.load(row.invoice_id)
    assert invoice_row is not None  # foreign key
    invoice, payment = Invoice.from_row(invoice_row), Payment.from_row(row)
    if row.status == "PENDING":
        return PaymentPending(invoice=invoice, payment=payment, message=PENDING_MESSAGE)
    if row.status == "DECLINED":
        assert payment.decline_reason is not None
        message = row.message or "The card was declined."
        return PaymentDeclined(
            invoice=invoice, payment=payment, reason=payment.decline_reason, message=message
        )
    if row.status == "FAILED":
        message = row.message or "Nothing was charged."
        return PaymentFailed(invoice=invoice, payment=payment, message=message)
    return PaymentSucceeded(invoice=invoice, payment=payment)


async def refund_result(info: Info, refund_id: str) -> RefundResult:
    """The typed result of a refund, read after it was written."""
    loaders = info.context.loaders
    row = await reload_after_write(loaders, loaders.refund, refund_id)
    payment_row = await loaders.payment.load(row.payment_id)
    assert payment_row is not None  # foreign key
    invoice_row = await loaders.invoice.load(payment_row.invoice_id)
    assert invoice_row is not None
    refund, payment = Refund.from_row(row), Payment.from_row(payment_row)
    invoice = Invoice.from_row(invoice_row)
    if row.status == "PENDING":
        return RefundPending(
            refund=refund, payment=payment, invoice=invoice, message=PENDING_MESSAGE
        )
    if row.status == "FAILED":
        message = row.message or "Nothing was refunded."
        return RefundFailed(refund=refund, payment=payment, invoice=invoice, message=message)
    return RefundSucceeded(refund=refund, payment=payment, invoice=invoice)
