"""Shape GraphQL errors for clients: a stable ``extensions.code`` and no internals."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from .errors import DomainError

logger = logging.getLogger("switchboard.subgraph")

INTERNAL_MESSAGE = "Internal server error."


def client_error(error: GraphQLError) -> dict[str, Any]:
    """The wire form of ``error``: domain errors as raised, unexpected ones masked."""
    formatted: dict[str, Any] = dict(error.formatted)
    original = error.original_error
    extensions = dict(formatted.get("extensions") or {})
    if isinstance(original, DomainError):
        extensions.update(original.extensions)
    elif original is not None and not isinstance(original, GraphQLError):
        logger.error("unexpected error in resolver", exc_info=original)
        formatted["message"] = INTERNAL_MESSAGE
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    else:
        extensions.setdefault("code", _code_for_request_error(error.message))
    formatted["extensions"] = extensions
    return formatted


def _code_for_request_error(message: str) -> str:
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"
