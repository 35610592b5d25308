"""The federation schema class every subgraph uses."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.federation import Schema

from .errors import DomainError

FEDERATION_VERSION = "2.5"


class SubgraphSchema(Schema):
    """A Federation 2.5 schema that logs only unexpected errors, not clients' mistakes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("federation_version", FEDERATION_VERSION)
        super().__init__(**kwargs)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not isinstance(e.original_error, (DomainError, GraphQLError))
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)
