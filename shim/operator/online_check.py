"""`shim check`, second half: what X says of the app, each token and the access the endpoints
need, asked as the shim would ask: the app's keys through `oauth/request_token` (signed by the
app alone), each token through `GET /2/users/me`, and, with the first token that works, one
probe per kind of v2 access the translated endpoints need (their rows' `access`, each read with
the probe it names). A refused probe names the access level its call needs, from X's
rate-limit table (`mappings.tiers`).
"""

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace

import httpx2

from mappings import ENDPOINTS
from mappings.errors import ACCESS_CODES, ACCESS_FIX, NOT_ENROLLED_CODE, V11Error, raise_for_v2
from mappings.tiers import needed
from mappings.types import NO_ANSWER, Access, V2Reply
from shim.config import Settings
from shim.credentials.upstream_auth import Credentials
from shim.operator.check import Verdict
from shim.stores.tokens import mask, open_tokens


async def online(settings: Settings) -> list[Verdict]:
    """What the upstream says of the app, each token and the access the endpoints need."""
    found: list[Verdict] = []
    async with httpx2.AsyncClient(
        base_url=settings.upstream_url,
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
        if keys.status_code == 401:
            # Every token's call is signed with the app's keys too, so each would be refused
            # alike: calling them revoked would send the operator after the wrong fix.
            found.append(Verdict("tokens at X", "warn", NOT_ASKED, "correct the app's keys first"))
            return found
        working: tuple[Credentials, dict[str, object]] | None = None
        asked: dict[str, V2Reply] = {}  # the working token's check: its user is not asked again
        tokens, unchecked = await _credentials(settings)
        for token, secret in tokens:
            credentials = replace(signed_as, token=token, token_secret=secret)
            me = await _reply(client, "/2/users/me", credentials)
            verdict, user = _token(mask(token), me, keys_known=keys.status_code == 200)
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


NOT_ASKED = "not asked: X refuses every token signed with keys it refuses"
# Tokens asked about at most: /2/users/me allows 75 calls per 15 minutes per app and user, and
# a check must not spend a large store's users' allowance (or take minutes).
MOST_TOKENS = 10


async def _credentials(settings: Settings) -> tuple[list[tuple[str, str]], int]:
    """The tokens to check, SHIM_ACCESS_TOKEN's first, and how many more are not checked."""
    pairs = []
    if settings.access_token and settings.access_token_secret:
        pairs.append((settings.access_token, settings.access_token_secret))
    store = open_tokens(settings)
    try:
        stored = await store.tokens()
        for token in stored[: MOST_TOKENS - len(pairs)]:
            secret = await store.secret(token)
            if secret is not None:
                pairs.append((token, secret))
    finally:
        await store.aclose()
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


def _token(name: str, me: V2Reply, *, keys_known: bool) -> tuple[Verdict, dict[str, object] | None]:
    """The verdict on one token from its /2/users/me; `keys_known` when X accepted the app's
    keys above, so a 401 is the token's own."""
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
            unknown = "" if keys_known else ", or the app's keys are wrong (not confirmed above)"
            return Verdict(
                item,
                "error",
                f"v2 refuses it (401): revoked, or issued to another app{unknown}",
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
        lacking = [access for access in endpoint.access if access in refused]
        missing = {access.name: refused[access] for access in lacking}
        untried = f"; {', '.join(unprobed)} not tried (a write)" if unprobed else ""
        levels = "".join(f"; {level}" for access in lacking if (level := needed(access)))
        if missing:
            yield Verdict(
                f"endpoint {endpoint.name}",
                "error" if list(missing) == probed else "warn",
                f"the app's access level lacks {' and '.join(missing)} "
                f"(v2 answered {', '.join(missing.values())}){levels}{untried}",
                ACCESS_FIX.format(endpoint=endpoint.name),
            )
        else:
            yield Verdict(
                f"endpoint {endpoint.name}", "ok", f"v2 allows {' and '.join(probed)}{untried}"
            )
