"""Per-caller bounds on what the shim shares: one caller holds at most SHIM_CALLER_CONCURRENCY
requests at the upstream at once (its streams included), so a client that opens many calls and
stops reading them cannot take the upstream pool from everyone else. Past its share a caller
gets v1.1's 429, code 88, at once."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mappings.errors import V11Error


class Slots:
    def __init__(self, per_caller: int) -> None:
        self._per_caller = per_caller
        self._held: dict[str, int] = {}  # only callers with a request under way: bounded

    def take(self, caller: str) -> Callable[[], None]:
        """Hold one of the caller's slots; returns what gives it back (once, however often
        called), or raises V11Error(88) when the caller holds all of theirs."""
        held = self._held.get(caller, 0)
        if held >= self._per_caller:
            raise V11Error(88)
        self._held[caller] = held + 1
        returned = False

        def give_back() -> None:
            nonlocal returned
            if returned:
                return
            returned = True
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
        return sum(self._held.values())
