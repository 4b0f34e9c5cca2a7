"""The whole v1.1 Tweet from a v2 answer: the Tweet (`tweets`), its author as the v1.1 user
object (`users`), and the Tweet it retweets or quotes, each from the answer's `includes`.

Every v2 call that reads Tweets for a v1.1 answer asks for the same fields and expansions
(`tweet_params`), those X's field-by-field guide names for each v1.1 key (x-docs/
data-format-migration.mdx): the author (`author_id`), the Tweets referred to and their authors,
media, mentioned users (their names), the place.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mappings.media import MEDIA_FIELDS
from mappings.params import include_entities, is_true
from mappings.tweets import TWEET_FIELDS, referenced, v11_tweet
from mappings.types import V11Request
from mappings.users import USER_FIELDS, v11_user

EXPANSIONS = (
    "attachments.media_keys,author_id,entities.mentions.username,geo.place_id,"
    "in_reply_to_user_id,referenced_tweets.id,referenced_tweets.id.author_id"
)
PLACE_FIELDS = "contained_within,country,country_code,full_name,geo,id,name,place_type"


def tweet_params() -> tuple[tuple[str, str], ...]:
    """Query parameters for a v2 call that reads Tweets, asking for all `v11_statuses` needs."""
    return (
        ("tweet.fields", TWEET_FIELDS),
        ("expansions", EXPANSIONS),
        ("user.fields", USER_FIELDS),
        ("media.fields", MEDIA_FIELDS),
        ("place.fields", PLACE_FIELDS),
    )


@dataclass(frozen=True, slots=True)
class Rendering:
    """How a request wants its Tweets: `tweet_mode=extended`, `trim_user` (the author as its
    id alone), `include_entities`."""

    extended: bool = False
    trim_user: bool = False
    include_entities: bool = True


def parse_rendering(request: V11Request) -> Rendering:
    return Rendering(
        extended=request.param("tweet_mode") == "extended",
        trim_user=is_true(request.param("trim_user")),
        include_entities=include_entities(request),
    )


def v11_statuses(body: Mapping[str, Any], rendering: Rendering) -> list[dict[str, Any]]:
    """The v1.1 Tweets of a v2 answer holding a list of them (`data`), in v2's order."""
    found = body.get("data", [])
    includes = body.get("includes", {})
    return [v11_status(tweet, includes, rendering) for tweet in found if _usable(tweet)]


def v11_status(
    tweet: Mapping[str, Any],
    includes: Mapping[str, Any],
    rendering: Rendering,
    *,
    nested: bool = False,
) -> dict[str, Any]:
    """One whole v1.1 Tweet. The Tweet it retweets or quotes is nested once: v2 expands only
    the first level, and an answer naming itself must not recurse."""
    users = {u.get("id"): u for u in includes.get("users", []) if isinstance(u, dict)}
    tweets = {t.get("id"): t for t in includes.get("tweets", []) if isinstance(t, dict)}
    parts: dict[str, Any] = {"user": _author(tweet.get("author_id"), users, rendering)}
    for kind, key in (("retweeted", "retweeted_status"), ("quoted", "quoted_status")):
        other = tweets.get(referenced(tweet, kind))
        if other is not None and not nested and _usable(other):
            parts[key] = v11_status(other, includes, rendering, nested=True)
    return v11_tweet(
        tweet,
        includes,
        extended=rendering.extended,
        include_entities=rendering.include_entities,
        parts=parts,
    )


def _author(author_id: object, users: Mapping[Any, Any], rendering: Rendering) -> dict[str, Any]:
    """The author as v1.1's user object (without its own `status`), or its id alone, where the
    request trimmed it or v2 did not include the user."""
    author = users.get(author_id)
    if rendering.trim_user or author is None or not isinstance(author_id, str):
        user_id = str(author_id) if isinstance(author_id, str) else None
        return {"id": int(user_id) if user_id else None, "id_str": user_id}
    return v11_user(
        {"data": author}, include_entities=rendering.include_entities, with_status=False
    )


def _usable(tweet: object) -> bool:
    """A v2 Tweet with what every rendering needs: its id, text and time."""
    return (
        isinstance(tweet, dict)
        and isinstance(tweet.get("id"), str)
        and tweet["id"].isdigit()
        and isinstance(tweet.get("text"), str)
        and isinstance(tweet.get("created_at"), str)
    )
