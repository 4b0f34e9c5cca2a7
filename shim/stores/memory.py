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


class PerCaller(Generic[V]):
    """Values by caller and key, in process, bounded both ways: at most `per_caller` keys for
    one caller (beyond that, that caller's least recently written key is dropped, so a caller
    can push out only its own), and at most `callers` callers (the least recently written one
    dropped; callers are verified credentials, so making new ones costs real tokens)."""

    def __init__(self, callers: int, per_caller: int) -> None:
        self._callers = callers
        self._per_caller = per_caller
        self._entries: OrderedDict[str, OrderedDict[str, V]] = OrderedDict()

    def put(self, caller: str, key: str, value: V) -> None:
        if self._callers <= 0 or self._per_caller <= 0:
            return
        own = self._entries.setdefault(caller, OrderedDict())
        own[key] = value
        own.move_to_end(key)
        while len(own) > self._per_caller:
            own.popitem(last=False)
        self._entries.move_to_end(caller)
        while len(self._entries) > self._callers:
            self._entries.popitem(last=False)

    def items(self, caller: str) -> list[tuple[str, V]]:
        return list(self._entries.get(caller, {}).items())

    def __len__(self) -> int:
        return sum(len(own) for own in self._entries.values())
