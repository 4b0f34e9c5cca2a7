"""Replay protection: each (consumer key, token, timestamp, nonce) is accepted once.

A nonce only needs remembering while its timestamp is still inside the accepted window, so
entries expire; `shim.shared.RedisNonces` replaces `MemoryNonces` for several instances.
"""

import time
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
    """Nonces in this process's memory, expired in arrival order.

    Every request adds one, so this is the shim's one structure that grows with traffic: at
    300 requests a second, some 200,000 live entries. Keys are hex digests; a 64-bit integer of
    one (a collision among a million entries has odds of about 1 in 30 million) in a plain dict
    takes about a hundred bytes an entry, against some 230 as a string in an OrderedDict.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._expiry: dict[int, float] = {}  # insertion order is expiry order: one ttl for all

    def seen(self, key: str) -> bool:
        self._expire()
        return _compact(key) in self._expiry

    def add(self, key: str, ttl: float) -> bool:
        self._expire()
        compact = _compact(key)
        if compact in self._expiry:
            return False
        self._expiry[compact] = self._clock() + ttl
        return True

    def _expire(self) -> None:
        now = self._clock()
        expired = []
        for key, expires in self._expiry.items():
            if expires > now:
                break
            expired.append(key)
        for key in expired:
            del self._expiry[key]


def _compact(key: str) -> int:
    """The first 64 bits of a hex digest key (`shim.auth.nonce_key`)."""
    return int(key[:16], 16)
