"""A Python client pointed at the shim as docs/clients.md's table says, run in a child process by
tests/e2e/test_recipes.py: `python -m tests.e2e.recipes LIBRARY [BASE]`, BASE being what the recipe
puts in the library's option (peony without one runs as installed, for host redirection). A child,
so that the CA is trusted only through the variable the table names (the test sets no other), and
python-twitter's `twitter` does not meet Python Twitter Tools'. The session is
tests/node/recipes.js's: verify the credentials, mute @Twitter by screen name, unmute it by id and
unmute it again (v1.1's 272); it prints what the client saw as JSON, up to the first refusal."""

import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.e2e import legacy
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET


@dataclass(frozen=True)
class Calls:
    """The calls of a client the session makes: legacy.Client's, less the many reads."""

    me: Callable[[], str]
    mute: Callable[..., dict[str, Any]]
    unmute: Callable[..., dict[str, Any]]
    error: type[Exception]
    seen: Callable[[Any], dict[str, Any]]


def of(client: legacy.Client) -> Calls:
    return Calls(client.me, client.mute, client.unmute, client.error, client.seen)


def user(answer: Any) -> dict[str, Any]:
    return {k: answer[k] for k in ("id_str", "screen_name")}


def session(calls: Calls) -> dict[str, Any]:
    """What the client saw up to the first refusal, which ends it: with the shim where the
    recipe points, v1.1's 272 for the second unmute."""
    seen: dict[str, Any] = {}
    try:
        seen["me"] = calls.me()
        seen["muted"] = calls.mute(screen_name="Twitter")
        seen["unmuted"] = calls.unmute(user_id="783214")
        calls.unmute(user_id="783214")
    except calls.error as error:
        seen["refused"] = calls.seen(error)
    return seen


def tweepy(host: str) -> Calls:
    import tweepy

    auth = tweepy.OAuth1UserHandler(CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret)
    api = tweepy.API(auth, host=host)
    return Calls(
        me=lambda: api.verify_credentials().screen_name,
        mute=lambda **target: user(api.create_mute(**target)._json),
        unmute=lambda **target: user(api.destroy_mute(**target)._json),
        error=tweepy.HTTPException,
        seen=lambda error: {"status": error.response.status_code, "code": error.api_codes[0]},
    )


def twitter_tools(domain: str) -> Calls:
    from twitter import OAuth, Twitter, TwitterHTTPError

    tools = Twitter(
        auth=OAuth(ALICE.token, ALICE.secret, CONSUMER_KEY, CONSUMER_SECRET), domain=domain
    )
    return Calls(
        me=lambda: tools.account.verify_credentials()["screen_name"],
        mute=lambda **target: user(tools.mutes.users.create(**target)),
        unmute=lambda **target: user(tools.mutes.users.destroy(**target)),
        error=TwitterHTTPError,
        seen=lambda error: {
            "status": error.e.code,
            "code": error.response_data["errors"][0]["code"],
        },
    )


def peony(base_url: str | None) -> dict[str, Any]:
    """peony is asynchronous: each call run to its end on the client's own loop. Without a
    base URL it runs as installed, its `client.user` the caller."""
    from peony import PeonyClient
    from peony.exceptions import PeonyException

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # its requests are futures of the current loop
    pointed = {"base_url": base_url} if base_url else {}
    client = PeonyClient(
        CONSUMER_KEY, CONSUMER_SECRET, ALICE.token, ALICE.secret, loop=loop, **pointed
    )
    api = client.api

    def answer(request: Any) -> dict[str, Any]:
        return user(loop.run_until_complete(request))

    # PeonyClient reads `client.user` at once from https://api.twitter.com/1.1/ whatever
    # base_url says (its _get_user): pointed by base_url, that call would bypass the shim, so
    # it is not made, and the caller is asked for as the docs say.
    if base_url:
        client.user.cancel()

    def me() -> str:
        request = api.account.verify_credentials.get() if base_url else client.user
        return str(answer(request)["screen_name"])

    try:
        return session(
            Calls(
                me=me,
                mute=lambda **target: answer(api.mutes.users.create.post(**target)),
                unmute=lambda **target: answer(api.mutes.users.destroy.post(**target)),
                error=PeonyException,
                seen=lambda error: {
                    "status": error.response.status,
                    "code": error.data["errors"][0]["code"],
                },
            )
        )
    finally:
        loop.run_until_complete(client.close())
        loop.close()


RECIPES: dict[str, Callable[[str], Calls]] = {
    "tweepy": tweepy,
    "twython": lambda api_url: of(legacy.twython(api_url)),
    "python-twitter": lambda base_url: of(legacy.python_twitter(base_url)),
    "twitter-tools": twitter_tools,
}


if __name__ == "__main__":
    name, *base = sys.argv[1:]
    seen = peony(base[0] if base else None) if name == "peony" else session(RECIPES[name](*base))
    print(json.dumps(seen))
