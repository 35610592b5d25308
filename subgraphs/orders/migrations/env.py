"""Alembic environment of the orders service."""

from subgraphs.common.migrate import run_env
from subgraphs.orders.models import Base

run_env(Base.metadata)
