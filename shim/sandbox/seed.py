"""The sandbox's simulated X as it starts (`seed.json`): a few made-up users with their
profiles and Tweets, who follows, mutes and blocks whom, and the app keys and two users' tokens
an app uses against it (`credentials`). Constant, so scripts and an app's own tests can name
them; fake, since the sandbox never reaches X."""

import json
from importlib.resources import files
from typing import Any

from shim.sandbox.answers import CONSUMER_KEY, CONSUMER_SECRET, Token
from shim.sandbox.model import SimulatedX
from shim.sandbox.timelines import fake_tweet

SEED: dict[str, Any] = json.loads(files("shim.sandbox").joinpath("seed.json").read_text())
METRICS = ("followers_count", "following_count", "tweet_count", "listed_count", "like_count")


def ids() -> dict[str, str]:
    """Each seeded user's id by screen name."""
    return {user["username"]: user["id"] for user in SEED["users"]}


def tokens() -> list[Token]:
    """The two users' tokens the sandbox prints, in order."""
    named = ids()
    return [Token(t["token"], t["secret"], named[t["screen_name"]]) for t in SEED["tokens"]]


def credentials() -> dict[str, Any]:
    """What `shim sandbox --json` prints: the app keys and the users' tokens."""
    return {
        "simulated": True,
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "users": [
            {
                "screen_name": entry["screen_name"],
                "user_id": token.user_id,
                "access_token": token.token,
                "access_token_secret": token.secret,
            }
            for entry, token in zip(SEED["tokens"], tokens(), strict=True)
        ],
    }


def simulated() -> SimulatedX:
    """A simulated X in its starting state: the seeded users, relations and Tweets."""
    named = ids()
    tweets = [
        fake_tweet(int(t["id"]), named[t["by"]], t["text"], **mentions(t, named))
        for t in SEED["tweets"]
    ]
    x = SimulatedX(*(profile(user, tweets) for user in SEED["users"]), tokens=tuple(tokens()))
    x.statuses |= {tweet["id"]: tweet for tweet in tweets}
    for relation, key in (("following", "follows"), ("muting", "mutes"), ("blocking", "blocks")):
        x.related[relation] |= {(named[a], named[b]) for a, b in SEED[key]}
    return x


def profile(user: dict[str, Any], tweets: list[dict[str, Any]]) -> dict[str, Any]:
    """A seeded user as v2's lookup answers with the shim's fields: counts from the seed,
    their latest Tweet included."""
    theirs = sorted((t for t in tweets if t["author_id"] == user["id"]), key=lambda t: int(t["id"]))
    follows = SEED["follows"]
    counts = (
        sum(b == user["username"] for _, b in follows),
        sum(a == user["username"] for a, _ in follows),
        len(theirs),
        0,
        0,
    )
    data = {
        "protected": False,
        "verified": False,
        "url": "",
        **user,
        "profile_image_url": "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png",
        "public_metrics": dict(zip(METRICS, counts, strict=True)),
    }
    if not theirs:
        return {"data": data}
    return {
        "data": data | {"most_recent_tweet_id": theirs[-1]["id"]},
        "includes": {"tweets": theirs[-1:]},
    }


def mentions(tweet: dict[str, Any], named: dict[str, str]) -> dict[str, Any]:
    """The `entities.mentions` of a seeded Tweet, where its text names the users."""
    found = []
    for name in tweet.get("mentions", []):
        start = tweet["text"].index(f"@{name}")
        found.append(
            {"start": start, "end": start + len(name) + 1, "username": name, "id": named[name]}
        )
    return {"entities": {"mentions": found}} if found else {}
