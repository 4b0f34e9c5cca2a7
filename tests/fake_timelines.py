"""The fake v2's timelines, computed from the Tweets it knows: a user's own Tweets, those
mentioning them, their home timeline (their own and those of whom they follow) and the Tweets
they liked, each paged as v2 pages them (X's v2 documentation: `max_results` within each
timeline's bounds, `since_id` and `until_id` exclusive, `exclude=replies,retweets`, opaque
`pagination_token`s; liked Tweets take no ids), their `meta` as tweepy's recorded v2 pages of
each timeline (2022) hold it. Generic: one selection and one pager."""

import json
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.v2_shapes import v2_answer

# The fewest Tweets each timeline's page may be asked for, and whether it takes ids and exclude.
LEAST = {"tweets": 5, "mentions": 5, "timelines/reverse_chronological": 1, "liked_tweets": 10}
BY_ID = {"tweets", "mentions", "timelines/reverse_chronological"}
EXCLUDES = {"tweets", "timelines/reverse_chronological"}
TWITTER_EPOCH_MS = 1288834974657  # a Tweet id's top bits are milliseconds since this
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


def fake_tweet(tweet_id: int, author_id: str, text: str, **fields: Any) -> dict[str, Any]:
    """A v2 Tweet with the fields the shim asks for, created when its id says it was."""
    moment = datetime.fromtimestamp(((tweet_id >> 22) + TWITTER_EPOCH_MS) / 1000, UTC)
    return {
        "id": str(tweet_id),
        "author_id": author_id,
        "text": text,
        "created_at": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0},
        "lang": "en",
        **fields,
    }


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


def selected(
    kind: str,
    owner: str,
    statuses: Mapping[str, dict[str, Any]],
    following: Collection[str],
    liked: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    """The Tweets on the owner's timeline of this kind, newest first (likes: latest liked)."""
    if kind == "liked_tweets":
        return [statuses[t] for user, t in reversed(liked) if user == owner and t in statuses]
    authors = {owner, *following} if kind.startswith("timelines") else {owner}
    found = [
        tweet
        for tweet in statuses.values()
        if (owner in _mentioned(tweet) if kind == "mentions" else tweet.get("author_id") in authors)
    ]
    return sorted(found, key=lambda tweet: int(tweet["id"]), reverse=True)


def page(kind: str, tweets: list[dict[str, Any]], params: Mapping[str, str]) -> tuple[int, Any]:
    """v2's status and body for a page of the timeline: 400 for what v2 would refuse."""
    size = int(params.get("max_results", "10"))
    taken = {"max_results", "pagination_token", "tweet.fields", "expansions", "user.fields"}
    taken |= {"media.fields", "place.fields"}
    taken |= {"since_id", "until_id"} if kind in BY_ID else set()
    taken |= {"exclude"} if kind in EXCLUDES else set()
    if not LEAST[kind] <= size <= 100 or set(params) - taken:
        return 400, {"title": "Invalid Request", "errors": [{"message": "bad parameters"}]}
    since, until = int(params.get("since_id", "0")), int(params.get("until_id", str(2**64)))
    excluded = set(params.get("exclude", "").split(","))
    kept = [
        tweet
        for tweet in tweets
        if since < int(tweet["id"]) < until
        and not ({"replies", "retweets"} & excluded & _kinds(tweet))
    ]
    offset = int(params.get("pagination_token", "T0").removeprefix("T"))
    found = kept[offset : offset + size]
    meta: dict[str, Any] = {"result_count": len(found)}
    if found and kind in BY_ID:  # liked Tweets' pages have neither (tweepy's recordings)
        meta |= {"newest_id": found[0]["id"], "oldest_id": found[-1]["id"]}
    if offset + size < len(kept):
        meta["next_token"] = f"T{offset + size}"
    return 200, ({"data": found, "meta": meta} if found else {"meta": meta})


def _mentioned(tweet: Mapping[str, Any]) -> set[str]:
    return {m.get("id", "") for m in tweet.get("entities", {}).get("mentions", [])}


def _kinds(tweet: Mapping[str, Any]) -> set[str]:
    words = {"replied_to": "replies", "retweeted": "retweets"}
    return {words.get(r["type"], "") for r in tweet.get("referenced_tweets", [])}
