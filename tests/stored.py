"""The token store (`shim.stores.tokens`) as a synchronous test drives it: each call on an event
loop of its own, as `shim tokens` drives it. Opening it checks SHIM_SECRET_KEY as the shim
does: a wrong key raises `ConfigError` here."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shim.config import Settings
from shim.stores.protocols import StoredToken, Tokens
from shim.stores.tokens import SQLiteTokens, open_tokens

R = TypeVar("R")


class Stored:
    """The SQLite file at `db`, or with `redis_url` the Redis hash, sealed with `key`."""

    def __init__(
        self, db: str = ":memory:", key: str | None = None, redis_url: str | None = None
    ) -> None:
        self._settings = Settings(db_path=db, secret_key=key, redis_url=redis_url)
        self._sqlite = None if redis_url else SQLiteTokens(db, key)
        if redis_url:  # a client on this call's loop only
            asyncio.run(open_tokens(self._settings).aclose())

    def _run(self, use: Callable[[Tokens], Awaitable[R]]) -> R:
        async def run() -> R:
            store = self._sqlite or open_tokens(self._settings)
            try:
                return await use(store)
            finally:
                if store is not self._sqlite:
                    await store.aclose()

        return asyncio.run(run())

    def add(self, token: str, secret: str) -> None:
        self._run(lambda store: store.add(token, secret))

    def secret(self, token: str) -> str | None:
        return self._run(lambda store: store.secret(token))

    def remove(self, token: str) -> bool:
        return self._run(lambda store: store.remove(token))

    def list(self) -> list[StoredToken]:
        return self._run(lambda store: store.list())

    def close(self) -> None:
        if self._sqlite is not None:
            asyncio.run(self._sqlite.aclose())
