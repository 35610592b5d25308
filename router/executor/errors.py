"""Error paths of the executor; error codes and the error builder live in ``router.errors``.

The executor never raises for a subgraph failure: errors are values collected next to the
data, each with a catalogue code (``SUBREQUEST_HTTP_ERROR``, ``SUBREQUEST_MALFORMED_RESPONSE``,
``RESPONSE_VALIDATION_FAILED``, or the subgraph's own code) and ``serviceName``.
"""

from __future__ import annotations

from typing import TypeAlias

from router.errors import (
    RESPONSE_VALIDATION_FAILED,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
    ErrorPath,
    GraphQLErrorDict,
    downstream_error,
    graphql_error,
)

__all__ = [
    "RESPONSE_VALIDATION_FAILED",
    "SUBREQUEST_HTTP_ERROR",
    "SUBREQUEST_MALFORMED_RESPONSE",
    "GraphQLErrorDict",
    "LinkedPath",
    "Path",
    "downstream_error",
    "flatten_path",
    "graphql_error",
]

Path: TypeAlias = ErrorPath
LinkedPath: TypeAlias = "tuple[LinkedPath, str | int] | None"  # (parent, key): cheap to extend


def flatten_path(path: LinkedPath) -> Path:
    """The list form of a linked path."""
    keys: Path = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    return keys
