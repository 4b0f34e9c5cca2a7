"""The simulated X's timelines, computed from the Tweets it knows: a user's own Tweets, those
mentioning them, their home timeline (their own and those of whom they follow) and the Tweets
they liked, each paged as v2 pages them (X's v2 documentation: `max_results` within each
timeline's bounds, `since_id` and `until_id` exclusive, `exclude=replies,retweets`, opaque
`pagination_token`s; liked Tweets take no ids), their `meta` as tweepy's recorded v2 pages of
each timeline (2022) hold it. Generic: one selection and one pager."""

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

# The fewest Tweets each timeline's page may be asked for, and whether it takes ids and exclude.
LEAST = {"tweets": 5, "mentions": 5, "timelines/reverse_chronological": 1, "liked_tweets": 10}
BY_ID = {"tweets", "mentions", "timelines/reverse_chronological"}
EXCLUDES = {"tweets", "timelines/reverse_chronological"}
TWITTER_EPOCH_MS = 1288834974657  # a Tweet id's top bits are milliseconds since this


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
    size = int(params.get("max_results", "10")) if params.get("max_results", "10").isdigit() else 0
    taken = {"max_results", "pagination_token", "tweet.fields", "expansions", "user.fields"}
    taken |= {"media.fields", "place.fields"}
    taken |= {"since_id", "until_id"} if kind in BY_ID else set()
    taken |= {"exclude"} if kind in EXCLUDES else set()
    if not LEAST[kind] <= size <= 100 or set(params) - taken:
        return 400, {"title": "Invalid Request", "errors": [{"message": "bad parameters"}]}
    since, until = _number(params, "since_id", 0), _number(params, "until_id", 2**64)
    excluded = set(params.get("exclude", "").split(","))
    kept = [
        tweet
        for tweet in tweets
        if since < int(tweet["id"]) < until
        and not ({"replies", "retweets"} & excluded & _kinds(tweet))
    ]
    offset = _number({"at": params.get("pagination_token", "T0").removeprefix("T")}, "at", 0)
    found = kept[offset : offset + size]
    meta: dict[str, Any] = {"result_count": len(found)}
    if found and kind in BY_ID:  # liked Tweets' pages have neither (tweepy's recordings)
        meta |= {"newest_id": found[0]["id"], "oldest_id": found[-1]["id"]}
    if offset + size < len(kept):
        meta["next_token"] = f"T{offset + size}"
    return 200, ({"data": found, "meta": meta} if found else {"meta": meta})


def _number(params: Mapping[str, str], name: str, default: int) -> int:
    value = params.get(name, "")
    return int(value) if value.isdigit() else default


def _mentioned(tweet: Mapping[str, Any]) -> set[str]:
    return {m.get("id", "") for m in tweet.get("entities", {}).get("mentions", [])}


def _kinds(tweet: Mapping[str, Any]) -> set[str]:
    words = {"replied_to": "replies", "retweeted": "retweets"}
    return {words.get(r["type"], "") for r in tweet.get("referenced_tweets", [])}
