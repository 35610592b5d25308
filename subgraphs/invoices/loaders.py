"""DataLoaders of the invoices service."""

from __future__ import annotations

from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from subgraphs.common.db import RequestDb
from subgraphs.common.loaders import PageKey, by_id_loader, child_page_loader, keyed_loader
from subgraphs.common.settings import SubgraphSettings

from . import payments_repository, repository
from .models import InvoiceLineRow, InvoiceRow, PaymentAttemptRow, PaymentRow, RefundRow
from .repository import Balance


@dataclass
class Loaders:
    invoice: DataLoader[str, InvoiceRow | None]
    lines: DataLoader[str, list[InvoiceLineRow]]
    invoice_by_order: DataLoader[str, InvoiceRow | None]
    customer_invoices: DataLoader[PageKey, list[InvoiceRow]]
    subscription_invoices: DataLoader[PageKey, list[InvoiceRow]]
    subscription_owner: DataLoader[str, str | None]
    outstanding: DataLoader[str, list[Balance]]
    payment: DataLoader[str, PaymentRow | None]
    refund: DataLoader[str, RefundRow | None]
    invoice_payments: DataLoader[str, list[PaymentRow]]
    payment_refunds: DataLoader[str, list[RefundRow]]
    payment_attempts: DataLoader[str, list[PaymentAttemptRow]]


def make_loaders(db: RequestDb, _settings: SubgraphSettings) -> Loaders:
    return Loaders(
        invoice=by_id_loader(db, lambda s, ids: repository.invoices_by_ids(s, ids=ids)),
        lines=keyed_loader(
            db, lambda s, ids: repository.lines_by_invoice_ids(s, invoice_ids=ids), []
        ),
        invoice_by_order=keyed_loader(
            db, lambda s, ids: repository.invoices_by_order_ids(s, order_ids=ids), None
        ),
        customer_invoices=child_page_loader(
            db,
            lambda s, ids, page, status: repository.invoice_pages_by_customer(
                s, customer_ids=ids, page=page, status=status
            ),
        ),
        subscription_invoices=child_page_loader(
            db,
            lambda s, ids, page, _status: repository.invoice_pages_by_subscription(
                s, subscription_ids=ids, page=page
            ),
        ),
        subscription_owner=keyed_loader(
            db,
            lambda s, ids: repository.owners_by_subscription_ids(s, subscription_ids=ids),
            None,
        ),
        outstanding=keyed_loader(
            db, lambda s, ids: repository.outstanding_by_customer(s, customer_ids=ids), []
        ),
        payment=by_id_loader(db, lambda s, ids: payments_repository.payments_by_ids(s, ids=ids)),
        refund=by_id_loader(db, lambda s, ids: payments_repository.refunds_by_ids(s, ids=ids)),
        invoice_payments=keyed_loader(
            db, lambda s, ids: payments_repository.payments_by_invoice_ids(s, invoice_ids=ids), []
        ),
        payment_refunds=keyed_loader(
            db, lambda s, ids: payments_repository.refunds_by_payment_ids(s, payment_ids=ids), []
        ),
        payment_attempts=keyed_loader(
            db, lambda s, ids: payments_repository.attempts_by_payment_ids(s, payment_ids=ids), []
        ),
    )
