"""v2 lookups reused a while, around the upstream client: which ones may be is the core's word
(`V2Call.cache`, `mappings.endpoints.reusable`), never a reading of a v2 body here."""

import httpx2

from mappings.endpoints import reusable
from mappings.types import V2Call, V2Reply
from shim.stores.protocols import Cache
from shim.stores.tokens import digest
from shim.upstream.client import Send, Upstream


class Lookups:
    """Sends v2 calls as one caller, answering cacheable lookups from the cache when it can.
    Entries are per caller: a lookup's `connection_status` is the caller's relationship."""

    def __init__(self, upstream: Upstream, users: Cache[V2Reply]) -> None:
        self.upstream = upstream
        self.users = users

    def sender(self, auth: httpx2.Auth, caller_key: str) -> Send:
        async def send(call: V2Call) -> V2Reply:
            if not call.cache:
                return await self.upstream.send(call, auth)
            slot = _slot(caller_key, call)
            cached = await self.users.get(slot)
            if cached is not None:
                return cached
            reply = await self.upstream.send(call, auth)
            if reusable(call, reply):
                await self.users.put(slot, reply)
            return reply

        return send


def _slot(caller_key: str, call: V2Call) -> str:
    return f"{caller_key}:{digest(repr(call))}"
