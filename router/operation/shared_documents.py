"""APQ documents shared by every router through Redis, so a hash registered once works on all.

The router's own LRU is asked first; Redis only on a local miss and on registration (sent
in the background, never delaying the response). A document read back is checked against
its hash. When Redis fails the router keeps serving from its own documents: it logs the
outage once, counts each call it answers alone (``fallbacks``), tries Redis again at most
once a second, and logs when Redis is back. A hash another router registered is then
unknown here: the client gets PERSISTED_QUERY_NOT_FOUND and re-sends the document, as APQ
clients do.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

logger = logging.getLogger("switchboard.router.apq")
RETRY_SECONDS = 1.0


class RedisDocuments:
    """Hash → document in Redis (``GETEX`` refreshes the TTL of documents in use)."""

    def __init__(self, url: str, *, prefix: str, timeout: float, ttl_seconds: int) -> None:
        import redis.asyncio as aioredis

        self.client: Any = aioredis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self.prefix = prefix
        self.ttl = ttl_seconds
        self.down = False
        self.fallbacks = 0  # calls answered without Redis because it failed
        self._retry_at = 0.0
        self._writes: set[asyncio.Task[None]] = set()

    async def get(self, digest: str) -> str | None:
        if self._skipping():
            return None
        try:
            value = await self.client.getex(self.prefix + digest, ex=self.ttl)
        except Exception as exc:  # any Redis failure: answer from local documents
            self._failed(exc)
            return None
        self._recovered()
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        if hashlib.sha256(text.encode()).hexdigest() != digest:
            logger.error("APQ: Redis holds a document that does not match its hash %s", digest)
            return None
        return text

    def put(self, digest: str, query: str) -> None:
        """Store in the background; the registering request does not wait for Redis."""
        if self._skipping():
            return
        task = asyncio.get_running_loop().create_task(self._put(digest, query))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _put(self, digest: str, query: str) -> None:
        try:
            await self.client.set(self.prefix + digest, query, ex=self.ttl)
        except Exception as exc:  # the document stays known to this router
            self._failed(exc)
            return
        self._recovered()

    def _skipping(self) -> bool:
        if self.down and time.monotonic() < self._retry_at:
            self.fallbacks += 1
            return True
        return False

    def _failed(self, exc: Exception) -> None:
        self.fallbacks += 1
        self._retry_at = time.monotonic() + RETRY_SECONDS
        if not self.down:
            self.down = True
            logger.error(
                "APQ: Redis unreachable (%s: %s); each router keeps its own documents",
                type(exc).__name__,
                exc,
            )

    def _recovered(self) -> None:
        if self.down:
            self.down = False
            logger.warning("APQ: Redis is back; documents are shared again")

    async def aclose(self) -> None:
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self.client.aclose()
