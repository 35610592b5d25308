"""Queries and changes of the orders service; the session is always passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Result, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from subgraphs.common.errors import BadUserInput, Conflict, NotFound, OutOfStock
from subgraphs.common.ids import check_customer_id, new_id
from subgraphs.common.money import check_amount
from subgraphs.common.pagination import PageArgs, fetch_child_pages, fetch_page

from .models import OrderLineRow, OrderRow, ProductRow
from .payment_state import first_payment_key

MIN_QUANTITY, MAX_QUANTITY = 1, 1000
MAX_LINES = 100


@dataclass(frozen=True, slots=True)
class LineRequest:
    product_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ProductFilter:
    search: str | None = None
    in_stock: bool | None = None


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: str | None = None
    customer_id: str | None = None


# An order's lines and each line's product: one more statement, however many orders.
WITH_LINES = selectinload(OrderRow.lines).joinedload(OrderLineRow.product)


async def products_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[ProductRow]:
    stmt = select(ProductRow).where(ProductRow.id.in_(ids))
    return list((await session.execute(stmt)).scalars().all())


async def orders_by_ids(session: AsyncSession, *, ids: Sequence[str]) -> list[OrderRow]:
    """Orders with their lines and products: two statements however many ids."""
    stmt = select(OrderRow).where(OrderRow.id.in_(ids)).options(WITH_LINES)
    return list((await session.execute(stmt)).scalars().all())


async def list_products(
    session: AsyncSession, *, page: PageArgs, where: ProductFilter
) -> list[ProductRow]:
    conditions: list[ColumnElement[bool]] = []
    if where.search:
        needle = where.search.strip()
        conditions.append(
            or_(
                ProductRow.name.icontains(needle, autoescape=True),
                ProductRow.sku.icontains(needle, autoescape=True),
            )
        )
    if where.in_stock is not None:
        conditions.append(ProductRow.stock > 0 if where.in_stock else ProductRow.stock == 0)
    stmt = select(ProductRow).where(*conditions)
    return await fetch_page(session, stmt, ProductRow.id, page)


async def list_orders(
    session: AsyncSession, *, page: PageArgs, where: OrderFilter
) -> list[OrderRow]:
    conditions: list[ColumnElement[bool]] = []
    if where.status is not None:
        conditions.append(OrderRow.status == where.status)
    if where.customer_id is not None:
        conditions.append(OrderRow.customer_id == where.customer_id)
    stmt = select(OrderRow).where(*conditions).options(WITH_LINES)
    return await fetch_page(session, stmt, OrderRow.id, page)


async def orders_of_customers(
    session: AsyncSession, *, customer_ids: Sequence[str], page: PageArgs, status: str | None
) -> dict[str, list[OrderRow]]:
    """One page of orders per customer: one statement for the orders, one for their lines."""
    conditions = [OrderRow.status == status] if status is not None else []
    return await fetch_child_pages(
        session,
        OrderRow,
        OrderRow.customer_id,
        customer_ids,
        page,
        *conditions,
        options=[WITH_LINES],
    )


async def place_order(
    session: AsyncSession, *, customer_id: str, lines: Sequence[LineRequest]
) -> OrderRow:
    """Create a PLACED order and reserve its stock; OUT_OF_STOCK changes nothing."""
    check_customer_id(customer_id)
    quantities = merge_lines(lines)
    products = await _orderable_products(session, list(quantities))
    currency = _single_currency(products)
    total = check_amount(sum(quantities[p.id] * p.price for p in products), field="total")
    for product_id in sorted(quantities):  # one lock order, so two orders cannot deadlock
        await _reserve(session, product_id, quantities[product_id])
    now = datetime.now(UTC)
    order_id = new_id("ord", at=now)
    order = OrderRow(
        id=order_id,
        customer_id=customer_id,
        status="PLACED",
        currency=currency,
        total=total,
        placed_at=now,
        cancelled_at=None,
        payment_key=first_payment_key(order_id),
    )
    session.add(order)
    session.add_all(_order_lines(order.id, quantities, products))
    await session.flush()
    _forget(session, ProductRow, "stock")
    return order


def _order_lines(
    order_id: str, quantities: dict[str, int], products: Sequence[ProductRow]
) -> list[OrderLineRow]:
    """One line per product, in the order the client first named them, at today's price."""
    by_id = {p.id: p for p in products}
    return [
        OrderLineRow(
            order_id=order_id,
            position=position,
            product_id=product_id,
            product_name=by_id[product_id].name,
            quantity=quantity,
            unit_price=by_id[product_id].price,
        )
        for position, (product_id, quantity) in enumerate(quantities.items())
    ]


CANCELLABLE = ("PLACED", "PAYMENT_FAILED")


async def cancel_order(session: AsyncSession, *, order_id: str) -> None:
    """PLACED or PAYMENT_FAILED → CANCELLED, putting the reserved stock back.

    CONFLICT from any other state: a paid order is refunded, not cancelled, and one whose
    charge is in flight must settle first. The caller voids the order's invoice first.
    """
    claimed = await session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, OrderRow.status.in_(CANCELLABLE))
        .values(status="CANCELLED", cancelled_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if _rowcount(claimed) == 0:
        status = await session.scalar(select(OrderRow.status).where(OrderRow.id == order_id))
        if status is None:
            raise NotFound(f"No order with id {order_id!r}.", id=order_id)
        raise Conflict(
            f"Only a PLACED or PAYMENT_FAILED order can be cancelled; this one is {status}.",
            id=order_id,
        )
    reserved = (
        select(OrderLineRow.product_id, OrderLineRow.quantity)
        .where(OrderLineRow.order_id == order_id)
        .order_by(OrderLineRow.product_id)  # the lock order place_order uses
    )
    for product_id, quantity in (await session.execute(reserved)).all():
        await session.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(stock=ProductRow.stock + quantity)
            .execution_options(synchronize_session=False)
        )
    _forget(session, ProductRow, "stock")
    _forget(session, OrderRow, "status", "cancelled_at")


async def _reserve(session: AsyncSession, product_id: str, quantity: int) -> None:
    """Take ``quantity`` from stock only if that much is left: one atomic statement."""
    result = await session.execute(
        update(ProductRow)
        .where(ProductRow.id == product_id, ProductRow.stock >= quantity)
        .values(stock=ProductRow.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        raise OutOfStock(
            f"Not enough stock of product {product_id!r} for {quantity}.",
            productId=product_id,
            requested=quantity,
        )


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _forget(session: AsyncSession, model: type[Any], *columns: str) -> None:
    """UPDATE statements bypass loaded objects; let the next read load these columns afresh."""
    for row in list(session.identity_map.values()):
        if isinstance(row, model):
            session.expire(row, columns)


async def _orderable_products(session: AsyncSession, ids: Sequence[str]) -> list[ProductRow]:
    products = await products_by_ids(session, ids=ids)
    found = {p.id for p in products}
    for product_id in ids:
        if product_id not in found:
            raise NotFound(f"No product with id {product_id!r}.", productId=product_id)
    for product in products:
        if not product.active:
            raise BadUserInput(
                f"Product {product.id!r} is no longer sold.", field="lines", productId=product.id
            )
    return products


def _single_currency(products: Sequence[ProductRow]) -> str:
    currencies = sorted({p.currency for p in products})
    if len(currencies) != 1:
        raise BadUserInput(
            f"All products of one order must share a currency; got {', '.join(currencies)}.",
            field="lines",
        )
    return currencies[0]


def merge_lines(lines: Sequence[LineRequest]) -> dict[str, int]:
    """Quantity per product, in first-seen order; each line and each sum within bounds."""
    if not lines:
        raise BadUserInput("An order needs at least one line.", field="lines")
    merged: dict[str, int] = {}
    for line in lines:
        _check_quantity(line.product_id, line.quantity)
        merged[line.product_id] = merged.get(line.product_id, 0) + line.quantity
    if len(merged) > MAX_LINES:
        raise BadUserInput(f"An order has at most {MAX_LINES} products.", field="lines")
    for product_id, quantity in merged.items():
        _check_quantity(product_id, quantity)
    return merged


def _check_quantity(product_id: str, quantity: int) -> None:
    if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
        raise BadUserInput(
            f"quantity must be between {MIN_QUANTITY} and {MAX_QUANTITY}; got {quantity}.",
            field="lines.quantity",
            productId=product_id,
        )
