"""A v2 tweet as the v1.1 `status` embedded in a user object."""

from collections.abc import Mapping
from typing import Any

from mappings.entities import v11_date, v11_tweet_entities

TWEET_FIELDS = (
    "created_at,entities,in_reply_to_user_id,lang,possibly_sensitive,public_metrics,"
    "referenced_tweets,source"
)
"""The `tweet.fields` that `v11_status` reads."""


def v11_status(tweet: Mapping[str, Any], *, include_entities: bool = True) -> dict[str, Any]:
    """The v1.1 status object for a v2 tweet, keys in v1.1's order (reference recordings)."""
    metrics = tweet.get("public_metrics", {})
    entities = tweet.get("entities", {})
    reply_to = _referenced(tweet, "replied_to")
    reply_user = tweet.get("in_reply_to_user_id")
    status: dict[str, Any] = {
        "created_at": v11_date(tweet["created_at"]),
        "id": int(tweet["id"]),
        "id_str": tweet["id"],
        "text": tweet["text"],
        "truncated": False,
        "entities": v11_tweet_entities(entities),
        "source": tweet.get("source", ""),
        "in_reply_to_status_id": int(reply_to) if reply_to else None,
        "in_reply_to_status_id_str": reply_to,
        "in_reply_to_user_id": int(reply_user) if reply_user else None,
        "in_reply_to_user_id_str": reply_user,
        "in_reply_to_screen_name": _mentioned_name(entities, reply_user),
        "geo": None,
        "coordinates": None,
        "place": None,
        "contributors": None,
        "is_quote_status": _referenced(tweet, "quoted") is not None,
        "retweet_count": metrics.get("retweet_count", 0),
        "favorite_count": metrics.get("like_count", 0),
        "favorited": False,
        "retweeted": False,
    }
    if "possibly_sensitive" in tweet:
        status["possibly_sensitive"] = tweet["possibly_sensitive"]
    status["lang"] = tweet.get("lang")
    if not include_entities:
        del status["entities"]
    return status


def _referenced(tweet: Mapping[str, Any], kind: str) -> str | None:
    refs = tweet.get("referenced_tweets", [])
    return next((ref["id"] for ref in refs if ref.get("type") == kind), None)


def _mentioned_name(entities: Mapping[str, Any], user_id: str | None) -> str | None:
    mentions = entities.get("mentions", [])
    return next((m["username"] for m in mentions if user_id and m.get("id") == user_id), None)
