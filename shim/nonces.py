"""Replay protection: each (consumer key, token, timestamp, nonce) is accepted once.

A nonce only needs remembering while its timestamp is still inside the accepted window, so
entries expire; a shared store for several instances can replace `MemoryNonces` behind `Nonces`.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class Nonces(Protocol):
    def seen(self, key: str) -> bool:
        """Whether the key was recorded and has not expired."""
        ...

    def add(self, key: str, ttl: float) -> bool:
        """Record the key for `ttl` seconds; False when it was already there (a replay)."""
        ...


class MemoryNonces:
    """Nonces in this process's memory, expired in arrival order."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def seen(self, key: str) -> bool:
        self._expire()
        return key in self._expiry

    def add(self, key: str, ttl: float) -> bool:
        self._expire()
        if key in self._expiry:
            return False
        self._expiry[key] = self._clock() + ttl
        return True

    def _expire(self) -> None:
        # Every entry lives for the same ttl, so the oldest entry expires first.
        now = self._clock()
        while self._expiry and next(iter(self._expiry.values())) <= now:
            self._expiry.popitem(last=False)
