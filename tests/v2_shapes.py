"""Real v1.1 Tweets re-expressed in v2's documented shape, as a v2 answer with the shim's fields
and expansions would carry them: X's field-by-field guide (x-docs/data-format-migration.mdx)
read backwards. The reference has v2 Tweets only with default fields, so the renderer's
fidelity tests turn the recorded v1.1 Tweets into v2 data this way and render them back.
Written from the guide, independently of `mappings/`, so the two can disagree."""

import html
import re
from datetime import datetime
from typing import Any

MEDIA_PREFIX = {"photo": "3", "video": "7", "animated_gif": "16"}
ANCHOR = re.compile(r'<a href="[^"]*" rel="nofollow">(.*)</a>')


def v2_answer(v11: dict[str, Any]) -> dict[str, Any]:
    """`{"data": tweet, "includes": …}` for one recorded v1.1 Tweet."""
    includes: dict[str, list[dict[str, Any]]] = {
        "users": [],
        "tweets": [],
        "media": [],
        "places": [],
    }
    data = _tweet(v11, includes)
    for nested in ("retweeted_status", "quoted_status"):
        if nested in v11:
            includes["tweets"].append(_tweet(v11[nested], includes))
    return {"data": data, "includes": {k: v for k, v in includes.items() if v}}


def v2_page(statuses: list[dict[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    """Recorded v1.1 Tweets as one v2 page of them (a search's, a timeline's): their data in
    order, their includes merged, `meta` with `next_token` where given."""
    data: list[dict[str, Any]] = []
    includes: dict[str, list[Any]] = {}
    for status in statuses:
        answer = v2_answer(status)
        data.append(answer["data"])
        for kind, items in answer["includes"].items():
            kept = includes.setdefault(kind, [])
            kept += [item for item in items if item not in kept]
    meta: dict[str, Any] = {"result_count": len(data)}
    if next_token:
        meta["next_token"] = next_token
    return {"data": data, "includes": includes, "meta": meta}


def iso(v11_date: str) -> str:
    moment = datetime.strptime(v11_date, "%a %b %d %H:%M:%S %z %Y")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def v2_user(user: dict[str, Any]) -> dict[str, Any]:
    """A v1.1 user object as v2's user with the shim's user.fields."""
    urls = user.get("entities", {}).get("url", {}).get("urls", [])
    described = user.get("entities", {}).get("description", {}).get("urls", [])
    found = {
        "id": user["id_str"],
        "name": user["name"],
        "username": user["screen_name"],
        "created_at": iso(user["created_at"]),
        "description": user["description"],
        "location": user["location"],
        "url": user["url"] or "",
        "protected": user["protected"],
        "verified": user["verified"],
        "profile_image_url": user["profile_image_url_https"],
        "public_metrics": {
            "followers_count": user["followers_count"],
            "following_count": user["friends_count"],
            "tweet_count": user["statuses_count"],
            "listed_count": user["listed_count"],
            "like_count": user["favourites_count"],
        },
        "entities": {
            **({"url": {"urls": [_url(u) for u in urls]}} if urls else {}),
            **({"description": {"urls": [_url(u) for u in described]}} if described else {}),
        },
    }
    if "profile_banner_url" in user:
        found["profile_banner_url"] = user["profile_banner_url"]
    links = [k for k in ("following", "follow_request_sent") if user.get(k)]
    return found | {"connection_status": links}


def _url(url: dict[str, Any]) -> dict[str, Any]:
    start, end = url["indices"]
    return {
        "start": start,
        "end": end,
        "url": url["url"],
        "expanded_url": url["expanded_url"],
        "display_url": url["display_url"],
    }


def _tweet(v11: dict[str, Any], includes: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    entities = v11["entities"]
    media = v11.get("extended_entities", {}).get("media", [])
    keys = [f"{MEDIA_PREFIX[m['type']]}_{m['id_str']}" for m in media]
    urls = [_url(u) for u in entities["urls"]]
    urls += [_url(m) | {"media_key": key} for m, key in zip(media, keys, strict=True)]
    tweet: dict[str, Any] = {
        "id": v11["id_str"],
        "text": v11.get("full_text", v11.get("text")),
        "created_at": iso(v11["created_at"]),
        "author_id": v11["user"]["id_str"],
        "lang": v11["lang"],
        "source": html.unescape(ANCHOR.sub(r"\1", v11["source"])),
        "public_metrics": {
            "retweet_count": v11["retweet_count"],
            "like_count": v11["favorite_count"],
            "reply_count": 0,
            "quote_count": 0,
        },
        "entities": {
            "hashtags": [_tag(t) for t in entities["hashtags"]],
            "cashtags": [_tag(t) for t in entities["symbols"]],
            "mentions": [_mention(m) for m in entities["user_mentions"]],
            "urls": sorted(urls, key=lambda u: u["start"]),
        },
    }
    if "possibly_sensitive" in v11:
        tweet["possibly_sensitive"] = v11["possibly_sensitive"]
    if v11["in_reply_to_user_id_str"]:
        tweet["in_reply_to_user_id"] = v11["in_reply_to_user_id_str"]
    refs = [
        {"type": kind, "id": ref}
        for kind, ref in (
            ("replied_to", v11["in_reply_to_status_id_str"]),
            ("quoted", v11.get("quoted_status_id_str")),
            ("retweeted", v11.get("retweeted_status", {}).get("id_str")),
        )
        if ref
    ]
    if refs:
        tweet["referenced_tweets"] = refs
    if keys:
        tweet["attachments"] = {"media_keys": keys}
    includes["media"] += [_media(m, key) for m, key in zip(media, keys, strict=True)]
    includes["users"] += [v2_user(v11["user"])]
    includes["users"] += [
        {"id": m["id_str"], "name": m["name"], "username": m["screen_name"]}
        for m in entities["user_mentions"]
    ]
    place, point = v11.get("place"), v11.get("coordinates")
    if place or point:
        tweet["geo"] = {}
        if place:
            tweet["geo"]["place_id"] = place["id"]
            includes["places"].append(_place(place))
        if point:
            tweet["geo"]["coordinates"] = point
    return tweet


def _tag(tag: dict[str, Any]) -> dict[str, Any]:
    return {"start": tag["indices"][0], "end": tag["indices"][1], "tag": tag["text"]}


def _mention(mention: dict[str, Any]) -> dict[str, Any]:
    start, end = mention["indices"]
    return {"start": start, "end": end, "username": mention["screen_name"], "id": mention["id_str"]}


def _media(media: dict[str, Any], key: str) -> dict[str, Any]:
    large = media["sizes"]["large"]
    found: dict[str, Any] = {
        "media_key": key,
        "type": media["type"],
        "width": large["w"],
        "height": large["h"],
    }
    if media["type"] == "photo":
        found["url"] = media["media_url_https"]
    else:
        found["preview_image_url"] = media["media_url_https"]
        info = media["video_info"]
        if "duration_millis" in info:
            found["duration_ms"] = info["duration_millis"]
        found["variants"] = [
            {
                **({"bit_rate": v["bitrate"]} if "bitrate" in v else {}),
                "content_type": v["content_type"],
                "url": v["url"],
            }
            for v in info["variants"]
        ]
    return found


def _place(place: dict[str, Any]) -> dict[str, Any]:
    (corners,) = place["bounding_box"]["coordinates"]
    west, south = corners[0]
    east, north = corners[2]
    return {
        "id": place["id"],
        "full_name": place["full_name"],
        "name": place["name"],
        "place_type": place["place_type"],
        "country": place["country"],
        "country_code": place["country_code"],
        "geo": {
            "type": "Feature",
            "bbox": [west, south, east, north],
            "properties": place["attributes"],
        },
    }
