"""Whether Redis still holds what the shim wrote there, and still keeps it: checked while the
shim runs, not only at start (`shim.stores.state.require_durable`).

A Redis restarted without its files comes back empty: the nonces of the last minutes are gone,
so their requests could be replayed, and so are the tokens users signed in with and the cursors
issued. The shim keeps a marker in Redis itself (`MARKER`: a random id, the same for every
instance) and reads it in the same round trip as each nonce, so the request that first meets
the empty Redis already knows. From then on replay protection fails closed: a request signed
before the moment the loss was seen is refused (503, code 130), since its nonce may have been
used and forgotten; a request signed later is judged as ever. The new marker carries that
moment, so every instance, and any started later, refuses the same requests. After the
timestamp window nothing signed before the loss is accepted anyway.

The durability settings (persistence, `maxmemory-policy`) are read again every `CHECK_EVERY`
seconds. Each change is one log line; `problems()` says what keeps the store from serving
safely (for readiness), `reasons()` feeds the `shim_store_problem` gauge and the dashboard.
"""

import asyncio
import json
import logging
import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.cluster
from redis.exceptions import RedisClusterException

from shim.errors import StoreUnavailable
from shim.stores.clock import StoreClock
from shim.stores.redis import PREFIX, as_text, bounded

log = logging.getLogger("shim.shared")

MARKER = PREFIX + "marker"
CHECK_EVERY = 5.0  # seconds between two looks at the marker and the settings, traffic or not
LOSS_REPORTED = 600.0
"""Seconds a loss stays reported after it was seen: longer than the timestamp window, after
which nothing signed before the loss can be accepted anyway."""
REASONS = ("data_lost", "not_durable", "evicting", "unreachable")
CONFIG = ("maxmemory-policy", "appendonly", "save")


@dataclass(frozen=True, slots=True)
class Marker:
    id: str
    since: float  # seconds on Redis's clock: requests signed before it are refused
    lost: bool  # written on seeing a loss (not on a first start)

    def dump(self) -> str:
        return json.dumps({"id": self.id, "since": self.since, "lost": self.lost})


def load_marker(raw: bytes | str | None) -> Marker | None:
    if raw is None:
        return None
    try:
        data = json.loads(as_text(raw))
        return Marker(str(data["id"]), float(data["since"]), bool(data["lost"]))
    except (ValueError, KeyError, TypeError):
        return None  # not ours: as good as gone


def unsafe(config: Mapping[str | None, str | None]) -> dict[str, str]:
    """What in Redis's settings could lose what the shim keeps, by reason."""
    found = {}
    if config.get("maxmemory-policy") != "noeviction":
        found["evicting"] = (
            f"Redis's maxmemory-policy is {config.get('maxmemory-policy')}: set it to "
            "noeviction, or it may evict live nonces and tokens (docs/operations.md)"
        )
    if config.get("appendonly") != "yes" and not config.get("save"):
        found["not_durable"] = (
            "Redis has no persistence: set appendonly yes (or save), or a Redis restart "
            "forgets every token and nonce"
        )
    return found


def mark(client: redis.Redis, clock: StoreClock) -> Marker:
    """At start: the marker in Redis, written if there is none. None there means a first start
    or a Redis that lost everything while no instance ran: either way, nothing signed before
    now is accepted."""
    found = load_marker(client.get(MARKER))
    if found is not None:
        return found
    client.set(MARKER, Marker(secrets.token_hex(16), math.floor(clock()), False).dump(), nx=True)
    found = load_marker(client.get(MARKER))
    assert found is not None  # written just now, by this instance or another
    log.info("Redis held no marker of the shim's (a first start): wrote one")
    return found


class StoreWatch:
    """What this instance knows of Redis: the marker it expects, since when nonces are whole,
    and the problems last found."""

    def __init__(self, client: redis.asyncio.Redis, clock: StoreClock, marker: Marker) -> None:
        self._redis, self._clock = client, clock
        self._marker = marker
        self._found: dict[str, str] = {}  # reason: detail, as last looked at

    def whole_since(self) -> float:
        """Requests signed before this (Redis's clock) may have had their nonces forgotten."""
        return self._marker.since

    async def seen(self, raw: bytes | str | None) -> None:
        """The marker as Redis has it now; a different one (or none) is a loss."""
        found = load_marker(raw)
        if found is not None and found.id == self._marker.id:
            return
        if found is None:
            # Rounded up: a request signed in the second the loss was seen may predate it.
            new = Marker(secrets.token_hex(16), math.ceil(self._clock()), True)
            await bounded(self._redis.set(MARKER, new.dump(), nx=True))
            found = load_marker(await bounded(self._redis.get(MARKER)))
            if found is None:
                raise StoreUnavailable  # gone again at once: ask on the next request
        if found.id == self._marker.id:
            return  # a request under way at the same time took it in already: said once
        self._marker = found
        if found.lost:
            log.warning(
                "Redis lost the shim's data (its marker changed): requests signed before %s "
                "are refused (503, code 130), as their nonces may be forgotten; tokens users "
                "signed in with are gone (401, code 89, until they sign in again), cursors "
                "issued before are refused (403, code 195), and the all-v1 switch and the routes "
                "set with `shim routing` are back to their defaults",
                stamp(found.since),
            )

    async def check(self) -> None:
        """Look at the marker and the settings; one log line for each change found."""
        found: dict[str, str] = {}
        try:
            await self.seen(await bounded(self._redis.get(MARKER)))
            for config in await self._configs():
                found |= unsafe(config)
        except StoreUnavailable:
            found = {"unreachable": "Redis does not answer"}
        except redis.ResponseError:
            pass  # CONFIG refused (a managed Redis): checked by its operator, as at start
        for reason in found.keys() - self._found.keys():
            log.warning("store problem: %s", found[reason])
        for reason in self._found.keys() - found.keys():
            log.warning("store problem over: %s", reason)
        self._found = found

    async def _configs(self) -> list[dict[str | None, str | None]]:
        """The durability settings of the server, or of each master of a cluster."""
        client: Any = self._redis
        cluster = isinstance(client, redis.asyncio.cluster.RedisCluster)
        nodes = client.get_primaries() if cluster else [None]
        found = []
        try:
            async with asyncio.timeout(1.0):
                for node in nodes:
                    at = {"target_nodes": node} if node else {}
                    config: dict[str | None, str | None] = {}
                    for name in CONFIG:
                        config |= await client.config_get(name, **at)
                    found.append(config)
                return found
        except (redis.ConnectionError, RedisClusterException, TimeoutError, OSError):
            raise StoreUnavailable from None

    async def keep_watch(self) -> None:
        """Check every CHECK_EVERY seconds, until cancelled."""
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await self.check()
            except Exception as error:  # the watch must outlive whatever one look meets
                log.warning("Redis not checked: %s", type(error).__name__)

    def problems(self) -> list[str]:
        """What keeps the store from serving safely now: a readiness check's reasons. A loss
        is not one: every instance sees it alike, and each refuses only what it must."""
        return list(self._found.values())

    def reasons(self) -> dict[str, bool]:
        """Each known reason and whether it holds now, for the gauge and the dashboard."""
        lost = self._marker.lost and self._clock() < self._marker.since + LOSS_REPORTED
        return {
            reason: reason in self._found or (reason == "data_lost" and lost) for reason in REASONS
        }


def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RedisNonces:
    """Nonces in Redis: SET NX makes "first one wins" hold across instances, and PXAT has
    Redis drop one at `expires_at` on its own clock, the one every instance judges by. Redis
    must never evict them while they live (docs/operations.md). The marker is read in the same
    round trip: a Redis that lost its data is known before the answer is trusted."""

    def __init__(self, client: redis.asyncio.Redis, clock: StoreClock, watch: StoreWatch) -> None:
        self._redis = client
        self._clock = clock
        self._watch = watch
        # A cluster's pipeline takes no TIME (it has no key): asked alone, once a second.
        self._time_apart = isinstance(client, redis.asyncio.cluster.RedisCluster)

    def whole_since(self) -> float:
        return self._watch.whole_since()

    async def add(self, key: str, expires_at: float) -> bool:
        name, at = PREFIX + "nonce:" + key, math.ceil(expires_at * 1000)
        if self._time_apart and self._clock.due():
            sent = time.monotonic()
            self._clock.learn(await bounded(self._redis.time()), sent, time.monotonic())
            self._clock.watch()
        timed = self._clock.due()
        async with self._redis.pipeline(transaction=False) as pipe:  # one round trip
            pipe.get(MARKER)
            if timed:
                pipe.time()
            pipe.set(name, b"1", nx=True, pxat=at)
            sent = time.monotonic()
            answers = await bounded(pipe.execute())
        if timed:
            self._clock.learn(answers[1], sent, time.monotonic())
            self._clock.watch()
        await self._watch.seen(answers[0])
        return bool(answers[-1])
