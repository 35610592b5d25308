"""Stage 3, persisted documents: Apollo's automatic persisted queries (APQ).

Clients may send a hash for the document instead of the document.
A request carries ``extensions.persistedQuery = {"version": 1, "sha256Hash": H}``. With a
query, the router checks that H is the query's SHA-256 and remembers it; without one, it
looks H up, and asks for the full query with ``PERSISTED_QUERY_NOT_FOUND`` if it has none
(the client then retries with the document). Works over GET too, so hashed queries are
cacheable by URL. The store is a bounded LRU: an evicted hash only costs one retry. With
``shared`` (Redis, ``shared_documents``) a local miss asks every router's documents.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from typing import Any

from router.errors import (
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_INVALID,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_LIST,
    PERSISTED_QUERY_NOT_SUPPORTED,
    RouterError,
)
from router.operation.cache import LruCache
from router.operation.context import GraphQLRequest
from router.operation.manifest import Manifest
from router.operation.shared_documents import RedisDocuments

logger = logging.getLogger("switchboard.router")


class PersistedQueries:
    """APQ (hash → document, bounded) and the trusted-documents manifest with its safelist.

    ``apq=False`` refuses registration (PERSISTED_QUERY_NOT_SUPPORTED) while hashes of the
    manifest keep working. ``safelist="enforce"`` runs only documents of the manifest,
    whether sent by hash or as identical text; ``"log"`` runs the others and logs them.
    """

    def __init__(
        self,
        capacity: int = 4096,
        *,
        enabled: bool = True,
        max_bytes: int | None = None,
        manifest: Manifest | None = None,
        safelist: str = "off",
        shared: RedisDocuments | None = None,
    ) -> None:
        self.enabled = enabled
        self.manifest = manifest or Manifest({})
        self.listed = self.manifest.texts
        self.safelist = safelist
        self._documents: LruCache[str, str] = LruCache(capacity, max_bytes)
        self._logged: LruCache[str, bool] = LruCache(1024)
        self.shared = shared

    @property
    def cache(self) -> LruCache[str, str]:
        return self._documents

    async def lookup(self, request: GraphQLRequest) -> GraphQLRequest:
        """``resolve``, first asking the shared documents for a hash this router lacks."""
        if self.shared is not None and request.query is None and self.enabled:
            extension = request.extensions.get("persistedQuery")
            if extension is not None:
                digest = _hash_of(extension)
                if digest not in self.manifest.bodies and digest not in self._documents:
                    found = await self.shared.get(digest)
                    if found is not None:
                        self._documents.put(digest, found, len(found))
        return self.resolve(request)

    def peek(self, request: GraphQLRequest) -> str | None:
        """The document ``request`` carries, or names by a hash this router holds, without
        counting a lookup or registering anything; None otherwise."""
        if request.query is not None:
            return request.query
        extension = request.extensions.get("persistedQuery")
        if extension is None:
            return None
        try:
            digest = _hash_of(extension)
        except RouterError:
            return None
        return self.manifest.bodies.get(digest) or self._documents.peek(digest)

    def resolve(self, request: GraphQLRequest) -> GraphQLRequest:
        """``request`` with its document, registering or looking up a persisted query."""
        extension = request.extensions.get("persistedQuery")
        if extension is not None:
            request = self._by_hash(request, _hash_of(extension))
        if self.safelist != "off":
            self._check_listed(request.query or "")
        return request

    def _by_hash(self, request: GraphQLRequest, digest: str) -> GraphQLRequest:
        listed = self.manifest.bodies.get(digest)
        if listed is not None:
            if request.query is not None and request.query != listed:
                raise RouterError(
                    PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query"
                )
            return replace(request, query=listed)
        if not self.enabled:
            if self.safelist == "enforce":
                raise RouterError(PERSISTED_QUERY_NOT_IN_LIST, "PersistedQueryNotInList")
            raise RouterError(PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported")
        if request.query is None:
            query = self._documents.get(digest)
            if query is None:
                raise RouterError(PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return replace(request, query=query)
        if hashlib.sha256(request.query.encode()).hexdigest() != digest:
            raise RouterError(PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query")
        if self.safelist == "enforce" and request.query not in self.listed:
            raise RouterError(PERSISTED_QUERY_NOT_IN_LIST, "PersistedQueryNotInList")
        if self.shared is not None and digest not in self._documents:
            self.shared.put(digest, request.query)
        self._documents.put(digest, request.query, len(request.query))
        return request

    def _check_listed(self, query: str) -> None:
        if query in self.listed:
            return
        if self.safelist == "enforce":
            raise RouterError(
                PERSISTED_QUERY_NOT_IN_LIST,
                "Only operations of the trusted documents manifest may run on this router.",
            )
        digest = hashlib.sha256(query.encode()).hexdigest()
        if self._logged.get(digest) is None:  # once per document, not per request
            self._logged.put(digest, True)
            logger.warning("operation not in the trusted documents manifest: sha256 %s", digest)

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
