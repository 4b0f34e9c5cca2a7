"""The migration report's after-step: each answered call counted by its v1.1 endpoint, how it
was served and what was answered (`mappings.migration`), in memory, and added to the store in
batches (`shim.stores.traffic`), so that every instance's counts make one report.

A request costs a dict increment, never a store write: a write per request would put a SQLite
transaction (or a Redis round trip) on every answer (docs/migration.md has the figures). A
background task adds the counts every `FLUSH_SECONDS`, the shutdown adds the rest, and
`report` adds them first, so the dashboard is never behind. A batch the store refuses stays
counted here and goes with the next one. What is counted is bounded by the table of v1.1
endpoints (`mappings.replacements`), whatever paths come.
"""

import asyncio
import logging
import sqlite3
from collections import Counter
from typing import Any

from mappings.migration import COMPARED, PASSED, SHIM, V1, V2, counter
from mappings.replacements import endpoint_of
from mappings.uploads import NAMES
from shim.edge.limits import target
from shim.errors import StoreUnavailable
from shim.serving.exchange import Exchange
from shim.stores.protocols import Traffic as Store

log = logging.getLogger("shim.traffic")

FLUSH_SECONDS = 5.0


def served_as(exchange: Exchange) -> str:
    """How the call was served, in the report's words."""
    if not exchange.named:
        return PASSED
    if exchange.endpoint is None and exchange.label not in NAMES:
        # a call v2 cannot serve: the shim's answer, or v1.1's (media uploads are v2's)
        return SHIM if exchange.backend == "v2" else V1
    if exchange.plan is not None and exchange.plan.shadow is not None:
        return COMPARED
    return V2 if exchange.backend == "v2" else V1


class Traffic:
    """This instance's counts not yet in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: Counter[str] = Counter()

    async def after(self, exchange: Exchange) -> None:
        request = exchange.call.request
        if exchange.named:
            call = f"{request.method} {exchange.name}"
        else:
            call = endpoint_of(request.method, target(request.scope)[0])
        status = exchange.response.status_code
        self._pending[counter(call, served_as(exchange), status, exchange.code)] += 1

    async def flush(self) -> None:
        """Add the counts to the store; kept for the next batch if it fails."""
        batch, self._pending = self._pending, Counter()
        if not batch:
            return
        try:
            await self._store.add(batch)
        except BaseException:
            self._pending.update(batch)
            raise

    async def keep_flushing(self) -> None:
        """Flush every FLUSH_SECONDS while the app runs."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.flush_logged()

    async def flush_logged(self) -> None:
        """Flush, and log a store that cannot take the batch now (it is tried again)."""
        try:
            await self.flush()
        except (StoreUnavailable, sqlite3.Error) as error:
            log.warning("the migration report's counts wait: %s", type(error).__name__)
        except Exception:  # never the end of the flushing task: the counts wait all the same
            log.exception("the migration report's counts wait")

    async def report(self) -> dict[str, Any]:
        """Every instance's counts, this one's up to now."""
        await self.flush_logged()
        return await self._store.report()
