"""first periods and plan changes: run kinds, invoice lines, credit balances

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('billing_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=64), server_default='period', nullable=False))
        batch_op.add_column(sa.Column('lines', sa.Text(), nullable=True))
        batch_op.drop_constraint('uq_billing_runs_period', type_='unique')
        batch_op.create_unique_constraint('uq_billing_runs_period_kind', ['subscription_id', 'period_start', 'kind'])
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_balance', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_column('credit_balance')
    with op.batch_alter_table('billing_runs', schema=None) as batch_op:
        batch_op.drop_constraint('uq_billing_runs_period_kind', type_='unique')
        batch_op.create_unique_constraint('uq_billing_runs_period', ['subscription_id', 'period_start'])
        batch_op.drop_column('lines')
        batch_op.drop_column('kind')
