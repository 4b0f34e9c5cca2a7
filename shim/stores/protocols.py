"""What the layers above ask of a store, whichever backend keeps it (`shim.stores.memory`,
`sqlite`, `redis`; the token secrets in `tokens`): one Protocol per thing kept."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from mappings.compare import Difference

V = TypeVar("V")


class Cache(Protocol[V]):
    async def get(self, key: str) -> V | None: ...
    async def put(self, key: str, value: V) -> None: ...
    def stats(self) -> dict[str, int]: ...


class Nonces(Protocol):
    """Replay protection: each (consumer key, token, timestamp, nonce) is accepted once.

    A request is acceptable only while its own `oauth_timestamp` is within the window of the
    shim's clock, so a nonce is kept until that timestamp has left the window: its expiry is the
    timestamp plus the window, on the same clock that judges timestamps. A clock stepped back
    keeps nonces longer; one stepped forward drops only those whose requests it would refuse
    anyway. The embedded store is the SQLite file (`SQLiteNonces`), so a restart forgets
    nothing, on the machine's wall clock; several instances share nonces through Redis
    (`RedisNonces`), and then every instance keeps time by Redis's clock (`shim.stores.clock`),
    so that one instance's stepped clock cannot shorten a nonce the others would still accept.
    A nonce that cannot be stored is a request refused: the store never forgets a live nonce to
    make room."""

    async def add(self, key: str, expires_at: float) -> bool:
        """Record the key until `expires_at` (seconds on the store's clock); False when it was
        already there (a replay). Raises `StoreUnavailable` when the key cannot be stored."""
        ...

    def whole_since(self) -> float:
        """Seconds on the store's clock from which its memory of nonces is whole: a request
        signed before may have been used and forgotten (`shim.stores.watch`), so it is
        refused."""
        ...


class Switch(Protocol):
    """The all-v1 switch: in the SQLite file, or in Redis for every instance; either way it
    outlives a restart, so an emergency switch-back never quietly undoes itself."""

    async def get(self) -> bool: ...
    async def set(self, on: bool) -> None: ...


class RouteStore(Protocol):
    """Routes set with `shim routing`, each replacing the file's route for its endpoint, and
    the audit of every change."""

    async def get(self) -> dict[str, Any]: ...
    async def put(self, routes: Mapping[str, Any], line: str) -> None: ...
    async def audit(self, count: int) -> list[str]: ...


class Comparisons(Protocol):
    async def record(self, endpoint: str, found: Sequence[Difference]) -> None: ...
    async def skipped(self, endpoint: str) -> None: ...
    async def report(self) -> dict[str, Any]: ...
    def close(self) -> None: ...


class Traffic(Protocol):
    """The migration report's counters (`mappings.migration`), summed over every instance."""

    async def add(self, counts: Mapping[str, int]) -> None: ...
    async def report(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token as `tokens list` shows it: masked, with no secret."""

    masked: str
    added_at: str
    encrypted: bool


class Tokens(Protocol):
    """The users' access tokens and their secrets, in the SQLite file or in Redis: looked up
    and stored on sign-in by the request path, managed by `shim tokens` (which drives it with
    `asyncio.run`), counted and tried by `shim check`. A listing masks the tokens and never
    holds a secret."""

    async def secret(self, token: str) -> str | None: ...
    async def add(self, token: str, secret: str) -> None: ...
    async def remove(self, token: str) -> bool: ...
    async def list(self) -> list[StoredToken]: ...
    async def tokens(self) -> tuple[str, ...]: ...
    async def encrypt_all(self) -> int:
        """Encrypt every secret stored in clear with SHIM_SECRET_KEY, all or none; how many."""
        ...

    async def plaintext(self) -> int: ...
    async def aclose(self) -> None: ...
