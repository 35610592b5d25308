"""Alembic environment of the customers service."""

from subgraphs.common.migrate import run_env
from subgraphs.customers.models import Base

run_env(Base.metadata)
