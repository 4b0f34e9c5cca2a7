"""The tests' Tweets for the simulated X (`shim.sandbox.timelines` computes its timelines):
@Twitter's recorded timeline as v2 data, and made-up runs of Tweets to page through."""

import json
from pathlib import Path
from typing import Any

from shim.sandbox.timelines import TWITTER_EPOCH_MS, fake_tweet
from tests.v2_shapes import v2_answer

__all__ = ["TWITTER_EPOCH_MS", "fake_tweet"]

FIRST = 1_400_000_000_000_000_000  # a Tweet id of 2021


REFERENCE = Path(__file__).parent / "data" / "reference"


def recorded(name: str, index: int = 0) -> Any:
    """The body of a recorded v1.1 answer (tweepy's cassettes, byte copies in data/reference)."""
    interaction = json.loads((REFERENCE / name).read_text())["interactions"][index]
    return json.loads(interaction["response"]["body"]["string"])


# tweepy's recorded user_timeline of @Twitter (2020): 20 real Tweets, newest first.
TWITTER_TIMELINE: list[dict[str, Any]] = recorded("testusertimeline.json", 1)
# v1.1's timelines of @Twitter as the fake v1.1 answers them in compare mode: its user timeline
# as recorded, its home timeline the same Tweets (@Twitter follows only itself in the fake),
# and its mentions and likes as the recordings answered them: empty.
V11_TIMELINES = {
    "statuses/user_timeline.json": TWITTER_TIMELINE,
    "statuses/home_timeline.json": TWITTER_TIMELINE,
    "statuses/mentions_timeline.json": recorded("testmentionstimeline.json"),
    "favorites/list.json": recorded("testgetfavorites.json"),
}


def v11_timeline(path: str, user: dict[str, Any]) -> list[dict[str, Any]]:
    """A recorded v1.1 timeline, each Tweet by `user` (the fake v1.1's own @Twitter object)."""
    return [tweet | {"user": user} for tweet in V11_TIMELINES[path]]


def add_recorded(fake: Any) -> None:
    """The recorded @Twitter Tweets as the fake v2's (tests/v2_shapes.py), with the users they
    mention, whom v2 would include (`entities.mentions.username`), their media and places."""
    for tweet in TWITTER_TIMELINE:
        answer = v2_answer(tweet)
        fake.statuses[answer["data"]["id"]] = answer["data"]
        includes = answer["includes"]
        for user in includes.get("users", []):
            fake.users.setdefault(user["id"], {"data": user})
        fake.media |= {item["media_key"]: item for item in includes.get("media", [])}
        fake.places |= {item["id"]: item for item in includes.get("places", [])}


def posted(
    statuses: dict[str, dict[str, Any]], author: str, count: int, refer_to: str
) -> list[str]:
    """`count` Tweets by `author` added to `statuses`, a quarter hour apart, every third a reply
    to `refer_to` and every fifth (not a reply) a retweet of it; their ids, newest first."""
    ids = []
    for n in range(count):
        tweet_id = FIRST + (n * 900_000 << 22)
        fields: dict[str, Any] = {}
        if n % 3 == 1:
            fields["referenced_tweets"] = [{"type": "replied_to", "id": refer_to}]
        elif n % 5 == 2:
            fields["referenced_tweets"] = [{"type": "retweeted", "id": refer_to}]
        statuses[str(tweet_id)] = fake_tweet(tweet_id, author, f"tweet {n}", **fields)
        ids.append(str(tweet_id))
    return ids[::-1]
