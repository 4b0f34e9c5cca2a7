"""The migration report's counters (`mappings.migration`), kept where every instance adds to
them: in the SQLite file (SHIM_DB), or in one Redis hash with SHIM_REDIS_URL. Each instance
counts in memory and adds its counts here in batches (`shim.serving.traffic`), so a request
costs no store write; `shim report` and the dashboard read the sums back."""

import sqlite3
from collections.abc import Mapping
from typing import Any

import redis.asyncio

from mappings.migration import report
from shim.stores.redis import PREFIX, as_text, bounded

TRAFFIC_TTL = 30 * 86_400  # Redis drops the counters a month after the last batch added to them


class SQLiteTraffic:
    """The counters in one table of the SQLite file."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS traffic_counts "
            "(counter TEXT PRIMARY KEY, count INTEGER NOT NULL)"
        )

    async def add(self, counts: Mapping[str, int]) -> None:
        """One batch, in one transaction."""
        self._db.execute("BEGIN")
        try:
            self._db.executemany(
                "INSERT INTO traffic_counts VALUES (?, ?) "
                "ON CONFLICT (counter) DO UPDATE SET count = count + excluded.count",
                list(counts.items()),
            )
        finally:
            self._db.execute("COMMIT")

    async def report(self) -> dict[str, Any]:
        return report(self._db.execute("SELECT counter, count FROM traffic_counts").fetchall())


class RedisTraffic:
    """The counters of every instance in one Redis hash: a field per counter."""

    KEY = f"{PREFIX}traffic"

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self._redis = client

    async def add(self, counts: Mapping[str, int]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for name, count in counts.items():
                pipe.hincrby(self.KEY, name, count)
            pipe.expire(self.KEY, TRAFFIC_TTL)
            await bounded(pipe.execute())

    async def report(self) -> dict[str, Any]:
        found = await bounded(self._redis.hgetall(self.KEY))
        return report((as_text(name), int(count)) for name, count in found.items())
