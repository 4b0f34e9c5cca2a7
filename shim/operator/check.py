"""`shim check`, first half: the configuration, as far as it can be told without asking X.

`offline` reads only local things (settings, files, the routing file, the token store, Redis)
and is what `shim serve` runs before it listens; `shim.operator.online_check` then asks X about
the app, each token and its access. Both answer in `Verdict`s.
"""

import asyncio
import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Literal

from mappings import ROUTABLE
from shim.config import ConfigError, Settings
from shim.errors import StoreUnavailable
from shim.stores.clock import NTP_FIX, SKEW_LIMIT, disagreement, store_clock
from shim.stores.protocols import Tokens
from shim.stores.routes import RoutingFile
from shim.stores.state import read_marker, require_durable
from shim.stores.tokens import mask, open_tokens
from shim.stores.watch import LOSS_REPORTED, stamp

Status = Literal["ok", "warn", "error"]


@dataclass(frozen=True, slots=True)
class Verdict:
    item: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.item}: {self.detail}" + (f"; fix: {self.fix}" if self.fix else "")

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def offline(settings: Settings, clock: Callable[[], float] = time.time) -> list[Verdict]:
    """What can be told without the network (but Redis). Settings themselves were read
    already: a malformed SHIM_* value stops before this, with its own one line. `clock` is
    this machine's wall clock, compared with Redis's."""
    return list(_offline(settings, clock))


def _offline(settings: Settings, clock: Callable[[], float]) -> Iterator[Verdict]:
    if settings.consumer_key and settings.consumer_secret:
        yield Verdict("app keys", "ok", f"SHIM_CONSUMER_KEY {mask(settings.consumer_key)} set")
    else:
        yield Verdict(
            "app keys",
            "error",
            "SHIM_CONSUMER_KEY and SHIM_CONSUMER_SECRET are not both set",
            "set them to your X app's API key and secret (developer portal, Keys and tokens)",
        )
    if not settings.redis_url and os.path.exists(settings.db_path):
        mode = stat.S_IMODE(os.stat(settings.db_path).st_mode)
        if mode & 0o077:
            yield Verdict(
                "SHIM_DB",
                "warn",
                f"{settings.db_path} is readable by others (mode {mode:o}); it holds secrets",
                f"chmod 600 {settings.db_path}",
            )
    yield from _tokens(settings)
    if settings.redis_url:
        yield from _clock(settings.redis_url, clock)
        yield from _loss(settings.redis_url, clock)
    if settings.config_path is not None:
        try:
            RoutingFile(settings.config_path, ROUTABLE, _NoSwitch())
        except ConfigError as error:
            yield Verdict(
                "routing file", "error", str(error), "correct the file (docs/migration.md)"
            )
        else:
            yield Verdict("routing file", "ok", f"{settings.config_path} is valid")


def _tokens(settings: Settings) -> Iterator[Verdict]:
    try:
        if settings.redis_url:
            require_durable(settings.redis_url)
            yield Verdict("SHIM_REDIS_URL", "ok", "Redis answers, with noeviction and persistence")
        store = open_tokens(settings)
    except ConfigError as error:
        yield Verdict("token store", "error", str(error))
        return
    try:
        stored, clear = asyncio.run(_counted(store))
    except StoreUnavailable:
        yield Verdict("token store", "error", "Redis did not answer")
        return
    if clear and settings.secret_key:
        yield Verdict(
            "token store", "warn", f"{clear} secrets stored in clear", "run `shim tokens encrypt`"
        )
    count = stored + (1 if settings.access_token else 0)
    if count:
        yield Verdict("tokens", "ok", f"{count} configured")
    else:
        yield Verdict(
            "tokens",
            "warn",
            "none configured: every OAuth 1.0a call will be refused (89) until one is",
            "`shim tokens add --token …`, SHIM_ACCESS_TOKEN, or users sign in through the shim",
        )


async def _counted(store: Tokens) -> tuple[int, int]:
    """How many tokens the store holds, and how many of their secrets are in clear."""
    try:
        return len(await store.list()), await store.plaintext()
    finally:
        await store.aclose()


def _clock(url: str, machine: Callable[[], float]) -> Iterator[Verdict]:
    try:
        skew = store_clock(url, machine).skew()
    except ConfigError:
        return  # Redis unreachable: the token store's verdict says so already
    if abs(skew) > SKEW_LIMIT:
        yield Verdict(
            "clock", "warn", f"{disagreement(skew)}; timestamps are judged on Redis's", NTP_FIX
        )
    else:
        yield Verdict("clock", "ok", f"agrees with Redis's within {SKEW_LIMIT:g} s")


def _loss(url: str, clock: Callable[[], float]) -> Iterator[Verdict]:
    """A loss of Redis's data the running instances saw lately (`shim.stores.watch`): a
    warning, not an error, since `shim serve` starts anyway and fails closed by itself."""
    try:
        since, lost = read_marker(url)
    except ConfigError:
        return  # Redis unreachable: the token store's verdict says so already
    if lost and since is not None and clock() < since + LOSS_REPORTED:
        yield Verdict(
            "Redis data",
            "warn",
            f"Redis lost the shim's data (seen at {stamp(since)}): requests signed before are "
            "refused (503, 130), tokens users signed in with and cursors issued are gone",
            "find why Redis restarted without its files (docs/operations.md); users sign in "
            "again, or `shim tokens add` each token",
        )


class _NoSwitch:
    """The routing file checked alone: the stored all-v1 switch is not the file's."""

    async def get(self) -> bool:
        return False

    async def set(self, on: bool) -> None:
        raise AssertionError
