"""Per-caller bounds on what the shim shares: one caller holds at most SHIM_CALLER_CONCURRENCY
requests at the upstream at once (its streams included), so a client that opens many calls and
stops reading them cannot take the upstream pool from everyone else. Work no user credential
vouches for (app-only tokens, checking a new bearer token, sign-in) has one share of its own,
SHIM_UNVERIFIED_CONCURRENCY, a part of it per client address: new tokens cost nothing to make,
so they cannot each be a caller. Past its share a caller gets v1.1's 429, code 88, at once."""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from shim.edge.throttle import network
from shim.errors import Busy


class Slots:
    def __init__(self, per_caller: int, total: int | None = None) -> None:
        self._per_caller = per_caller
        self._total = total  # over all callers, when the slots are one share of the upstream
        self._held: dict[str, int] = {}  # only callers with a request under way: bounded
        self._count = 0

    def take(self, caller: str) -> Callable[[], None]:
        """Hold one of the caller's slots; returns what gives it back (once, however often
        called), or raises `Busy` when the caller holds all of theirs, or all callers
        together hold the total."""
        held = self._held.get(caller, 0)
        if held >= self._per_caller or (self._total is not None and self._count >= self._total):
            raise Busy
        self._held[caller] = held + 1
        self._count += 1
        returned = False

        def give_back() -> None:
            nonlocal returned
            if returned:
                return
            returned = True
            self._count -= 1
            left = self._held[caller] - 1
            if left:
                self._held[caller] = left
            else:
                del self._held[caller]

        return give_back

    @contextmanager
    def holding(self, caller: str) -> Iterator[None]:
        give_back = self.take(caller)
        try:
            yield
        finally:
            give_back()

    def __len__(self) -> int:
        """Slots held now, over all callers."""
        return self._count


def address(scope: Mapping[str, Any]) -> str:
    """The client's address, a caller for unverified work (behind a trusted proxy, uvicorn puts
    the forwarded one here), an IPv6 address as its /64; "" when the server names none, as over
    a Unix socket."""
    client = scope.get("client")
    return network(str(client[0]) if client else None)
