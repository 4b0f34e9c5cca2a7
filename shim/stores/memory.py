"""Caches with a size bound and a time to live, counting their hits and misses: in process, or
in the SQLite file for what must outlive a restart."""

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """Forgets entries after `ttl` seconds, and the least recently used beyond `size` entries."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._size = size
        self._ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def _live(self, key: K) -> V:
        expires, value = self._entries[key]
        if expires <= self._clock():
            del self._entries[key]
            raise KeyError(key)
        self._entries.move_to_end(key)
        return value

    # Asynchronous only to share the interface of the Redis caches (`shim.stores.protocols.Cache`).
    async def get(self, key: K) -> V | None:
        """The live value for `key`, counted as a hit, or None, counted as a miss."""
        try:
            value = self._live(key)
        except KeyError:
            self.misses += 1
            return None
        self.hits += 1
        return value

    async def put(self, key: K, value: V) -> None:
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "entries": len(self)}
