"""Store the orders' part of the demo world: products with their stock, and orders.

An order's money follows its demo invoice (``subgraphs.invoices.seed``): a PAID order was
paid when placed, a REFUNDED one then refunded in full, and both know their invoice.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.common.demo import DemoOrder, world
from subgraphs.invoices.seed import demo_invoices
from subgraphs.invoices.tax import rate_for, totals

from .models import OrderLineRow, OrderRow, ProductRow

CANCELLED_AFTER = timedelta(hours=2)


async def seed(session: AsyncSession) -> bool:
    """Insert the demo products and orders unless the tables have rows; True if it seeded."""
    has_products = await session.scalar(select(func.count()).select_from(ProductRow))
    if has_products or await session.scalar(select(func.count()).select_from(OrderRow)):
        return False
    for p in world().products:
        session.add(
            ProductRow(
                id=p.id,
                sku=p.sku,
                name=p.name,
                description=None,
                price=p.price,
                currency=p.currency,
                stock=p.stock,
                active=True,
                created_at=p.created_at,
            )
        )
    await session.flush()  # products first: order lines refer to them
    invoices = {row.order_id: row.id for row in demo_invoices(world()) if row.order_id}
    for order in world().orders:
        _add_order(session, order, invoices[order.id])
    return True


def _taxed(order: DemoOrder) -> int:
    """The demo invoice's total (the invoices service derives the same invoice from the demo
    world with the same arithmetic, so the two agree)."""
    country = next(c.country for c in world().customers if c.id == order.customer_id)
    amounts = [line.quantity * line.unit_price for line in order.lines]
    return totals(amounts, rate_for(country).basis_points).total


def _add_order(session: AsyncSession, order: DemoOrder, invoice_id: str) -> None:
    cancelled = order.status == "CANCELLED"
    paid = order.status in ("PAID", "REFUNDED")
    taxed = _taxed(order)
    session.add(
        OrderRow(
            id=order.id,
            customer_id=order.customer_id,
            status=order.status,
            currency=order.currency,
            total=order.total,
            total_with_tax=taxed,
            placed_at=order.placed_at,
            cancelled_at=order.placed_at + CANCELLED_AFTER if cancelled else None,
            invoice_id=invoice_id,
            paid_at=order.placed_at if paid else None,
            amount_refunded=taxed if order.status == "REFUNDED" else 0,
        )
    )
    for position, line in enumerate(order.lines):
        session.add(
            OrderLineRow(
                order_id=order.id,
                position=position,
                product_id=line.product_id,
                product_name=line.product_name,
                quantity=line.quantity,
                unit_price=line.unit_price,
            )
        )
