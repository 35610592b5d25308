"""A bounded LRU cache: at most ``capacity`` entries and ``max_bytes`` of their estimated size."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """Least-recently-used eviction once either bound is passed.

    Sizes are the caller's estimates (bytes kept alive by an entry); an entry larger than
    ``max_bytes`` on its own is not kept at all.
    """

    def __init__(self, capacity: int, max_bytes: int | None = None) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return found[0]

    def peek(self, key: K) -> V | None:
        """The value held for ``key``; neither a hit nor a miss, and its recency is unchanged."""
        found = self._items.get(key)
        return found[0] if found is not None else None

    def put(self, key: K, value: V, size: int = 0) -> None:
        """Add or replace ``key``; ``size`` replaces the entry's previous estimate."""
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        if self.max_bytes is not None and size > self.max_bytes:
            return
        self._items[key] = (value, size)
        self.bytes += size
        while len(self._items) > self.capacity or (
            self.max_bytes is not None and self.bytes > self.max_bytes
        ):
            _, (_, evicted) = self._items.popitem(last=False)
            self.bytes -= evicted

    def values(self) -> list[V]:
        return [value for value, _ in self._items.values()]

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` is held; neither a hit nor a miss, and its recency is unchanged."""
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
