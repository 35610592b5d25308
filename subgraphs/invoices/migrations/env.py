"""Alembic environment of the invoices service."""

from subgraphs.common.migrate import run_env
from subgraphs.invoices.models import Base

run_env(Base.metadata)
