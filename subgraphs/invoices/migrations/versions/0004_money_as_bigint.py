"""money as 64-bit integers: amounts become BIGINT, their values kept

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

COLUMNS = {'invoices': [('subtotal', False), ('tax', False), ('total', False)], 'invoice_lines': [('unit_amount', False), ('amount', False)], 'payments': [('amount', False), ('amount_refunded', False), ('refund_reserved', False)], 'refunds': [('amount', False)]}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, nullable in columns:
                batch_op.alter_column(column, existing_type=sa.Integer(), type_=sa.BigInteger(),
                                      existing_nullable=nullable)


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, nullable in columns:
                batch_op.alter_column(column, existing_type=sa.BigInteger(), type_=sa.Integer(),
                                      existing_nullable=nullable)
