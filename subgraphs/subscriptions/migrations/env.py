"""Alembic environment of the subscriptions service."""

from subgraphs.common.migrate import run_env
from subgraphs.subscriptions.models import Base

run_env(Base.metadata)
