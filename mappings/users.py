"""A v2 user as the v1.1 user object that `mutes/users/create|destroy` answered with.

Keys and their order follow the newest real v1.1 mute answer in the reference (rtweet's
`post_follow5.json`, 2022). Fields v2 no longer has get the values v1.1 itself returned for an
account with default settings in that recording; the README's differences table lists them.
"""

from collections.abc import Mapping
from typing import Any

from mappings.entities import v11_date, v11_urls
from mappings.errors import V11Error
from mappings.params import Target
from mappings.tweets import TWEET_FIELDS, v11_status
from mappings.types import Access, V2Call, V2Reply

USER_FIELDS = (
    "connection_status,created_at,description,entities,id,location,most_recent_tweet_id,name,"
    "pinned_tweet_id,profile_banner_url,profile_image_url,protected,public_metrics,url,username,"
    "verified,withheld"
)
"""The `user.fields` that `v11_user` reads."""

BY_ID = Access("user lookup by id", write=False, probe="/2/users/{id}")
BY_NAME = Access("user lookup by username", write=False, probe="/2/users/by/username/{username}")

# v1.1 values for settings v2 dropped: the 2019 profile change nulled utc_offset, time_zone and
# lang, and left every account with the default theme (post_follow5.json, 2022).
THEME: Mapping[str, Any] = {
    "profile_background_color": "C0DEED",
    "profile_background_image_url": "http://abs.twimg.com/images/themes/theme1/bg.png",
    "profile_background_image_url_https": "https://abs.twimg.com/images/themes/theme1/bg.png",
    "profile_background_tile": False,
}
COLOURS: Mapping[str, Any] = {
    "profile_link_color": "1DA1F2",
    "profile_sidebar_border_color": "C0DEED",
    "profile_sidebar_fill_color": "DDEEF6",
    "profile_text_color": "333333",
    "profile_use_background_image": True,
    "has_extended_profile": False,
    "default_profile": True,
}


LISTED_KEYS = ("muting", "blocking", "blocked_by")


def lookup_params(*, with_status: bool) -> tuple[tuple[str, str], ...]:
    """Query parameters for a v2 user lookup that fetches all `v11_user` needs."""
    fields = (("user.fields", USER_FIELDS),)
    if not with_status:
        return fields
    return (*fields, ("expansions", "most_recent_tweet_id"), ("tweet.fields", TWEET_FIELDS))


def lookup_call(target: Target, *, with_status: bool, cache: bool) -> V2Call:
    """The v2 lookup of one user by id or username, with all `v11_user` needs."""
    params = lookup_params(with_status=with_status)
    if target.user_id is not None:
        return V2Call("GET", f"/2/users/{target.user_id}", params, cache=cache, access=BY_ID)
    path = f"/2/users/by/username/{target.screen_name}"
    return V2Call("GET", path, params, cache=cache, access=BY_NAME)


def found_user(found: V2Reply) -> dict[str, Any]:
    """The body of a successful one-user lookup, checked to hold a user with an id."""
    body = found.body if isinstance(found.body, dict) else {}
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise V11Error(131)
    return body


def relationships(user: Mapping[str, Any]) -> list[str]:
    """The caller's relationships to a v2 user (`connection_status`: following, blocking,
    muting, …); none where v2 left the field out."""
    links = user.get("connection_status", [])
    return links if isinstance(links, list) else []


def v11_user(
    found: Mapping[str, Any],
    *,
    include_entities: bool = True,
    with_status: bool = True,
    relations: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """The v1.1 user object for a v2 user lookup body (`data` plus `includes`).

    `relations` are states the caller knows better than the lookup did (the ones a change just
    made, or a list's), by their v1.1 keys. The mute endpoints answered with a `muting` key,
    and the lists with `live_following`, `muting`, `blocking` and `blocked_by`, that v1.1's
    reads (users/show, users/lookup, verify_credentials, 2019 recordings) did not have: each is
    there only when `relations` names it, in the order of the real friends/list (tweepy,
    2021)."""
    relations = relations or {}
    user = found["data"]
    metrics = user.get("public_metrics", {})
    image = user.get("profile_image_url", "")
    links = relationships(user)
    v11: dict[str, Any] = {
        "id": int(user["id"]),
        "id_str": user["id"],
        "name": user["name"],
        "screen_name": user["username"],
        "location": user.get("location", ""),
        "description": user.get("description", ""),
        "url": user.get("url") or None,
        "entities": _user_entities(user.get("entities", {})),
        "protected": user.get("protected", False),
        "followers_count": metrics.get("followers_count", 0),
        "friends_count": metrics.get("following_count", 0),
        "listed_count": metrics.get("listed_count", 0),
        "created_at": v11_date(user["created_at"]),
        "favourites_count": metrics.get("like_count", 0),
        "utc_offset": None,
        "time_zone": None,
        "geo_enabled": False,
        "verified": user.get("verified", False),
        "statuses_count": metrics.get("tweet_count", 0),
        "lang": None,
    }
    tweet = _most_recent_tweet(found) if with_status else None
    if tweet is not None:
        v11["status"] = v11_status(tweet, include_entities=include_entities)
    v11 |= {
        "contributors_enabled": False,
        "is_translator": False,
        "is_translation_enabled": False,
        **THEME,
        "profile_image_url": image.replace("https://", "http://", 1),
        "profile_image_url_https": image,
    }
    if "profile_banner_url" in user:
        v11["profile_banner_url"] = user["profile_banner_url"]
    v11 |= {
        **COLOURS,
        "default_profile_image": "default_profile_images" in image,
        "following": relations.get("following", "following" in links),
    }
    if "live_following" in relations:
        v11["live_following"] = relations["live_following"]
    v11 |= {
        "follow_request_sent": relations.get("follow_request_sent", "follow_request_sent" in links),
        "notifications": False,
    }
    v11 |= {key: relations[key] for key in LISTED_KEYS if key in relations}
    v11 |= {
        "translator_type": "none",
        "withheld_in_countries": user.get("withheld", {}).get("country_codes", []),
    }
    if not include_entities:
        del v11["entities"]
    return v11


def _user_entities(entities: Mapping[str, Any]) -> dict[str, Any]:
    # v1.1 had a "url" entity only for users with a profile URL, and "description.urls" always.
    v11: dict[str, Any] = {}
    if "url" in entities:
        v11["url"] = {"urls": v11_urls(entities["url"].get("urls", []))}
    v11["description"] = {"urls": v11_urls(entities.get("description", {}).get("urls", []))}
    return v11


def _most_recent_tweet(found: Mapping[str, Any]) -> Mapping[str, Any] | None:
    tweet_id = found["data"].get("most_recent_tweet_id")
    tweets = found.get("includes", {}).get("tweets", [])
    return next((t for t in tweets if t.get("id") == tweet_id), None)
