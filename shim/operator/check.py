"""`shim check`: the configuration, then what X says of the app, each token and its access.

`offline` reads only local things (settings, files, the routing file, the store) and is what
`shim serve` runs before it listens. `online` asks the upstream, as the shim would: the app's
keys through `oauth/request_token` (signed by the app alone), each token through
`GET /2/users/me`, and, with the first token that works, one probe per kind of v2 access the
translated endpoints need (their rows' `access`, each read with the probe it names).
"""

import os
import stat
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Literal

import httpx2
import redis

from mappings import ENDPOINTS, ROUTABLE
from mappings.errors import ACCESS_CODES, ACCESS_FIX, NOT_ENROLLED_CODE, V11Error, raise_for_v2
from mappings.types import NO_ANSWER, Access, V2Reply
from shim.config import ConfigError, Settings
from shim.credentials.upstream_auth import Credentials
from shim.stores.clock import NTP_FIX, SKEW_LIMIT, disagreement, store_clock
from shim.stores.routes import RoutingFile
from shim.stores.state import require_durable
from shim.stores.tokens import mask, token_store

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
        store = token_store(settings)
    except ConfigError as error:
        yield Verdict("token store", "error", str(error))
        return
    try:
        stored, clear = len(store.list()), store.plaintext()
    except redis.RedisError as error:
        yield Verdict("token store", "error", f"Redis failed: {type(error).__name__}")
        return
    finally:
        store.close()
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


class _NoSwitch:
    """The routing file checked alone: the stored all-v1 switch is not the file's."""

    async def get(self) -> bool:
        return False

    async def set(self, on: bool) -> None:
        raise AssertionError


async def online(
    settings: Settings, transport: httpx2.AsyncBaseTransport | None = None
) -> list[Verdict]:
    """What the upstream says of the app, each token and the access the endpoints need."""
    found: list[Verdict] = []
    async with httpx2.AsyncClient(
        base_url=settings.upstream_url,
        transport=transport,
        timeout=min(settings.upstream_timeout, 10.0),
    ) as client:
        # Signed as `shim serve` signs: by hand, or with oauthlib (SHIM_SPEEDUPS=off).
        app_keys = (settings.consumer_key, settings.consumer_secret)
        signed_as = Credentials(*app_keys, "", "", by_hand=settings.speedups)
        app = replace(signed_as, callback="oob")
        try:
            keys = await client.post("/oauth/request_token", auth=app.auth())
        except httpx2.HTTPError as error:
            fix = "check SHIM_UPSTREAM_URL and that this machine can reach it"
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            detail = f"cannot reach {settings.upstream_url} ({reason})"
            return [Verdict("upstream", "error", detail, fix)]
        found.append(Verdict("upstream", "ok", f"{settings.upstream_url} answers"))
        found.append(_app_keys(keys.status_code))
        working: tuple[Credentials, dict[str, object]] | None = None
        asked: dict[str, V2Reply] = {}  # the working token's check: its user is not asked again
        tokens, unchecked = _credentials(settings)
        for token, secret in tokens:
            credentials = replace(signed_as, token=token, token_secret=secret)
            me = await _reply(client, "/2/users/me", credentials)
            verdict, user = _token(mask(token), me)
            found.append(verdict)
            if user is not None and working is None:
                working, asked["/2/users/me"] = (credentials, user), me
        if unchecked > 0:
            found.append(
                Verdict(
                    "tokens at X",
                    "ok",
                    f"the first {len(tokens)} checked, {unchecked} more not asked about "
                    "(each check spends one of the user's /2/users/me calls)",
                )
            )
        if working is not None:
            found += [v async for v in _access(client, *working, asked)]
    return found


# Tokens asked about at most: /2/users/me allows 75 calls per 15 minutes per app and user, and
# a check must not spend a large store's users' allowance (or take minutes).
MOST_TOKENS = 10


def _credentials(settings: Settings) -> tuple[list[tuple[str, str]], int]:
    """The tokens to check, SHIM_ACCESS_TOKEN's first, and how many more are not checked."""
    pairs = []
    if settings.access_token and settings.access_token_secret:
        pairs.append((settings.access_token, settings.access_token_secret))
    store = token_store(settings)
    try:
        stored = store.tokens()
        for token in stored[: MOST_TOKENS - len(pairs)]:
            secret = store.secret(token)
            if secret is not None:
                pairs.append((token, secret))
    finally:
        store.close()
    return pairs, len(stored) - (MOST_TOKENS - (1 if settings.access_token else 0))


async def _reply(client: httpx2.AsyncClient, path: str, credentials: Credentials) -> V2Reply:
    try:
        response = await client.get(path, auth=credentials.auth())
    except httpx2.HTTPError:
        return V2Reply(NO_ANSWER)
    try:
        body = response.json()
    except ValueError:
        body = None
    return V2Reply(response.status_code, response.headers, body)


def _app_keys(status: int) -> Verdict:
    if status == 200:
        return Verdict("app keys at X", "ok", "X accepts SHIM_CONSUMER_KEY and its secret")
    if status == 401:
        return Verdict(
            "app keys at X",
            "error",
            "X refuses the app's keys (401 on oauth/request_token)",
            "copy the API key and secret again from the developer portal (regenerating them "
            "changes both) into SHIM_CONSUMER_KEY and SHIM_CONSUMER_SECRET",
        )
    return Verdict(
        "app keys at X",
        "warn",
        f"oauth/request_token answered {status}: the keys could not be checked this way",
        "sign-in through the shim may not work; the tokens below tell whether the keys do",
    )


def _token(name: str, me: V2Reply) -> tuple[Verdict, dict[str, object] | None]:
    item = f"token {name}"
    try:
        raise_for_v2(me)
    except V11Error as error:
        if error.code == NOT_ENROLLED_CODE:
            return Verdict(
                item,
                "error",
                "v2 refuses the app: it is not attached to a Project (client-not-enrolled)",
                "attach the app to a Project in the X developer portal (Projects & Apps)",
            ), None
        if error.code == 89:
            return Verdict(
                item,
                "error",
                "v2 refuses it (401): revoked, or issued to another app",
                f"have the user sign in again, or `shim tokens remove --token {name}`",
            ), None
        return Verdict(item, "error", f"{error.code}: {error.message}"), None
    data = me.body.get("data") if isinstance(me.body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return Verdict(item, "error", "/2/users/me answered no user"), None
    return Verdict(item, "ok", f"@{data.get('username')} ({data['id']})"), data


async def _access(
    client: httpx2.AsyncClient,
    credentials: Credentials,
    user: dict[str, object],
    asked: Mapping[str, V2Reply],
) -> AsyncIterator[Verdict]:
    """Probe each kind of read the endpoints need, once: what v2 refuses of them, the tier or
    the token's permissions lack. Writes are not tried: a probe must change nothing."""
    reads = dict.fromkeys(a for endpoint in ENDPOINTS for a in endpoint.access if not a.write)
    refused: dict[Access, str] = {}
    for kind in reads:
        path = kind.probe.format(**user)
        reply = asked.get(path) or await _reply(client, path, credentials)
        try:
            raise_for_v2(reply)
        except V11Error as error:
            if error.code in ACCESS_CODES:
                refused[kind] = str(error.code)
    for endpoint in ENDPOINTS:
        probed = [access.name for access in endpoint.access if not access.write]
        unprobed = [access.name for access in endpoint.access if access.write]
        missing = {access.name: refused[access] for access in endpoint.access if access in refused}
        untried = f"; {', '.join(unprobed)} not tried (a write)" if unprobed else ""
        if missing:
            yield Verdict(
                f"endpoint {endpoint.name}",
                "error" if list(missing) == probed else "warn",
                f"the app's access level lacks {' and '.join(missing)} "
                f"(v2 answered {', '.join(missing.values())}){untried}",
                ACCESS_FIX.format(endpoint=endpoint.name),
            )
        else:
            yield Verdict(
                f"endpoint {endpoint.name}", "ok", f"v2 allows {' and '.join(probed)}{untried}"
            )
