"""order total with tax: the invoice's total, kept beside the pre-tax one

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('total_with_tax', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('total_with_tax')
