"""Stage 2, persisted documents: Apollo's automatic persisted queries (APQ).

Clients may send a hash for the document instead of the document.
A request carries ``extensions.persistedQuery = {"version": 1, "sha256Hash": H}``. With a
query, the router checks that H is the query's SHA-256 and remembers it; without one, it
looks H up, and asks for the full query with ``PERSISTED_QUERY_NOT_FOUND`` if it has none
(the client then retries with the document). Works over GET too, so hashed queries are
cacheable by URL. The store is a bounded LRU: an evicted hash only costs one retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from router.errors import (
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_INVALID,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_SUPPORTED,
    RouterError,
)
from router.operation.cache import LruCache
from router.operation.context import GraphQLRequest


class PersistedQueries:
    """Hash → document, bounded; ``enabled=False`` answers PERSISTED_QUERY_NOT_SUPPORTED."""

    def __init__(self, capacity: int = 4096, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._documents: LruCache[str, str] = LruCache(capacity)

    def resolve(self, request: GraphQLRequest) -> GraphQLRequest:
        """``request`` with its document, registering or looking up a persisted query."""
        extension = request.extensions.get("persistedQuery")
        if extension is None:
            return request
        if not self.enabled:
            raise RouterError(PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported")
        digest = _hash_of(extension)
        if request.query is None:
            query = self._documents.get(digest)
            if query is None:
                raise RouterError(PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return replace(request, query=query)
        if hashlib.sha256(request.query.encode()).hexdigest() != digest:
            raise RouterError(PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query")
        self._documents.put(digest, request.query)
        return request

    def __len__(self) -> int:
        return len(self._documents)


def _hash_of(extension: Any) -> str:
    if not isinstance(extension, dict) or extension.get("version") != 1:
        raise RouterError(
            PERSISTED_QUERY_INVALID, "Unsupported persistedQuery: expected version 1."
        )
    digest = extension.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise RouterError(
            PERSISTED_QUERY_INVALID, "persistedQuery.sha256Hash must be a hex SHA-256."
        )
    return digest.lower()
