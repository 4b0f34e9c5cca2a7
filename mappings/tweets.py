"""A v2 Tweet as v1.1's Tweet object, without its `user` (see `statuses` for the whole Tweet and
`users` for the `status` a user object embeds).

Keys and their order follow the real v1.1 Tweets in the reference (tweepy's 2019-2021
recordings: timelines, statuses/show, update, retweet, search). v1.1 had two text modes:
`tweet_mode=extended` gave `full_text` and `display_text_range`; without it ("compat"), a Tweet
over 140 characters had its `text` cut at a word to at most 115 characters, then `…`, a space and
a link to the Tweet, `truncated: true`, and only the entities within the cut (the recorded
1149016022558683136 and X's migration guide show the arithmetic: 115 + 2 + 23 = 140). v1.1
linked through t.co, which the shim cannot mint: the link is the Tweet's own address.
Entity indices are code points of the unescaped text (v1.1 and v2 both HTML-escape `&`, `<`, `>`
in `text` and count positions before escaping).
"""

import html
from collections.abc import Mapping
from typing import Any

from mappings.entities import indices, v11_date, v11_urls
from mappings.media import v11_media
from mappings.types import Access

TWEET_FIELDS = (
    "attachments,author_id,created_at,entities,geo,in_reply_to_user_id,lang,possibly_sensitive,"
    "public_metrics,referenced_tweets,source,withheld"
)
"""The `tweet.fields` that `v11_tweet` reads."""

TWEET_LOOKUP = Access("tweet lookup", write=False, probe="/2/tweets?ids=20")
"""Reading Tweets by id (`GET /2/tweets/:id`, `GET /2/tweets?ids=`)."""

COMPAT_LENGTH = 140
COMPAT_CUT = 115  # 140 less the space, the ellipsis and a t.co link's 23 characters
# The clients' own addresses in v1.1's `source` links, as the recordings show them; v2 gives
# only the name (where it gives `source` at all), so other names stay plain.
SOURCES = {
    "Twitter for iPhone": "http://twitter.com/download/iphone",
    "Twitter Web App": "https://mobile.twitter.com",
    "Twitter Web Client": "http://twitter.com",
    "TweetDeck": "https://about.twitter.com/products/tweetdeck",
}


def v11_tweet(
    tweet: Mapping[str, Any],
    includes: Mapping[str, Any] | None = None,
    *,
    extended: bool = False,
    include_entities: bool = True,
    parts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The v1.1 Tweet object for a v2 tweet and the response's `includes`. `parts` are the
    objects the caller rendered and v1.1 nests in their places: `user`, `retweeted_status`,
    `quoted_status`."""
    includes = includes or {}
    parts = parts or {}
    metrics = tweet.get("public_metrics", {})
    reply_to = referenced(tweet, "replied_to")
    quoted = referenced(tweet, "quoted")
    reply_user = tweet.get("in_reply_to_user_id")
    entities = _entities(tweet, includes)
    text, truncated, entities, display = _text(tweet, entities, extended)
    v11: dict[str, Any] = {
        "created_at": v11_date(tweet["created_at"]),
        "id": int(tweet["id"]),
        "id_str": tweet["id"],
    }
    if extended:
        v11 |= {"full_text": text, "truncated": False, "display_text_range": display}
    else:
        v11 |= {"text": text, "truncated": truncated}
    media = entities.pop("extended", None)
    if include_entities:
        v11["entities"] = entities
        if media:
            v11["extended_entities"] = {"media": media}
    v11 |= {
        "source": source(tweet.get("source", "")),
        "in_reply_to_status_id": int(reply_to) if reply_to else None,
        "in_reply_to_status_id_str": reply_to,
        "in_reply_to_user_id": int(reply_user) if reply_user else None,
        "in_reply_to_user_id_str": reply_user,
        "in_reply_to_screen_name": _screen_name(tweet, includes, reply_user),
    }
    if "user" in parts:
        v11["user"] = parts["user"]
    v11 |= _geo(tweet, includes) | {"contributors": None}
    if "retweeted_status" in parts:
        v11["retweeted_status"] = parts["retweeted_status"]
    v11["is_quote_status"] = quoted is not None
    if quoted is not None:
        v11 |= {"quoted_status_id": int(quoted), "quoted_status_id_str": quoted}
        if "quoted_status" in parts:
            v11["quoted_status"] = parts["quoted_status"]
    v11 |= {
        "retweet_count": metrics.get("retweet_count", 0),
        "favorite_count": metrics.get("like_count", 0),
        # The caller's own like and retweet: v2 says neither on a Tweet (differences table).
        "favorited": False,
        "retweeted": False,
    }
    if "possibly_sensitive" in tweet:
        v11["possibly_sensitive"] = tweet["possibly_sensitive"]
    withheld = tweet.get("withheld", {}).get("country_codes")
    if withheld:
        v11["withheld_in_countries"] = withheld
    v11["lang"] = tweet.get("lang")
    return v11


def referenced(tweet: Mapping[str, Any], kind: str) -> str | None:
    """The id of the tweet this one replies to, quotes or retweets (`kind`), if any."""
    refs = tweet.get("referenced_tweets", [])
    return next((ref["id"] for ref in refs if ref.get("type") == kind), None)


def source(name: str) -> str:
    """v1.1's `source` link for a client's name, where the recordings show its address."""
    address = SOURCES.get(name)
    return f'<a href="{address}" rel="nofollow">{name}</a>' if address else name


def _entities(tweet: Mapping[str, Any], includes: Mapping[str, Any]) -> dict[str, Any]:
    """v1.1's entities, `extended` holding every media item for `extended_entities`: v2 links
    media through a URL entity carrying its `media_key`, which v1.1 kept out of `urls`."""
    found = tweet.get("entities", {})
    names = {u.get("username", "").lower(): u for u in includes.get("users", [])}
    media = {m.get("media_key"): m for m in includes.get("media", [])}
    links = [u for u in found.get("urls", []) if u.get("media_key")]
    attached = [
        media[key] for key in tweet.get("attachments", {}).get("media_keys", []) if key in media
    ]
    link = links[0] if links else None
    entities: dict[str, Any] = {
        "hashtags": [{"text": t["tag"], "indices": indices(t)} for t in found.get("hashtags", [])],
        "symbols": [{"text": t["tag"], "indices": indices(t)} for t in found.get("cashtags", [])],
        "user_mentions": [_mention(m, names) for m in found.get("mentions", [])],
        "urls": v11_urls([u for u in found.get("urls", []) if not u.get("media_key")]),
    }
    if attached:
        entities["media"] = [v11_media(attached[0], link, in_entities=True)]
        entities["extended"] = [v11_media(m, link, in_entities=False) for m in attached]
    return entities


def _mention(mention: Mapping[str, Any], names: Mapping[str, Any]) -> dict[str, Any]:
    # The display name comes from the mentioned user in `includes`; without it, the screen name.
    user = names.get(mention["username"].lower(), {})
    user_id = mention.get("id") or user.get("id")
    return {
        "screen_name": mention["username"],
        "name": user.get("name", mention["username"]),
        "id": int(user_id) if user_id else None,
        "id_str": user_id,
        "indices": indices(mention),
    }


def _screen_name(
    tweet: Mapping[str, Any], includes: Mapping[str, Any], user_id: str | None
) -> str | None:
    if not user_id:
        return None
    mentions = tweet.get("entities", {}).get("mentions", [])
    named = next((m["username"] for m in mentions if m.get("id") == user_id), None)
    users = includes.get("users", [])
    return named or next((u["username"] for u in users if u.get("id") == user_id), None)


def _text(
    tweet: Mapping[str, Any], entities: dict[str, Any], extended: bool
) -> tuple[str, bool, dict[str, Any], list[int]]:
    """The text, whether it was cut, the entities within it, and the display range."""
    text = tweet["text"]
    plain = html.unescape(text)
    display = [_display_start(tweet, plain), _display_end(plain, entities)]
    if extended or len(plain) <= COMPAT_LENGTH:
        return text, False, entities, display
    cut = plain[:COMPAT_CUT]
    if not plain[COMPAT_CUT].isspace() and " " in cut:
        cut = cut[: cut.rindex(" ")]  # v1.1 cut at a word, never inside one
    cut = cut.rstrip()
    link = f"https://twitter.com/i/web/status/{tweet['id']}"
    kept = {
        name: [e for e in found if e["indices"][1] <= len(cut)] for name, found in entities.items()
    }
    kept["urls"].append(
        {
            "url": link,
            "expanded_url": link,
            "display_url": f"twitter.com/i/web/status/{tweet['id'][:1]}…",
            "indices": [len(cut) + 2, len(cut) + 2 + len(link)],
        }
    )
    if not kept.get("media"):
        kept.pop("media", None)
        kept.pop("extended", None)
    return f"{html.escape(cut, quote=False)}… {link}", True, kept, display


def _display_start(tweet: Mapping[str, Any], plain: str) -> int:
    """Where a reply's text starts after the mentions it leads with (v1.1 kept them out of
    `display_text_range`); 0 for other tweets."""
    if not tweet.get("in_reply_to_user_id"):
        return 0
    start = 0
    for mention in sorted(tweet.get("entities", {}).get("mentions", []), key=lambda m: m["start"]):
        if mention["start"] != start:
            break
        start = mention["end"]
        while start < len(plain) and plain[start] == " ":
            start += 1
    return start


def _display_end(plain: str, entities: Mapping[str, Any]) -> int:
    """Where the text ends before a trailing media link (v1.1 kept it out of the range)."""
    end = len(plain.rstrip())
    media = entities.get("media", [])
    if media and "indices" in media[0] and media[0]["indices"][1] >= end:
        end = len(plain[: media[0]["indices"][0]].rstrip())
    return end


def _geo(tweet: Mapping[str, Any], includes: Mapping[str, Any]) -> dict[str, Any]:
    """`geo` ([lat, long]), `coordinates` ([long, lat]) and `place` from v2's `geo` and the
    place in `includes`."""
    geo = tweet.get("geo", {})
    point = geo.get("coordinates", {}).get("coordinates")
    place_id = geo.get("place_id")
    place = next((p for p in includes.get("places", []) if p.get("id") == place_id), None)
    if not (isinstance(point, list) and len(point) == 2):
        point = None
    return {
        "geo": {"type": "Point", "coordinates": [point[1], point[0]]} if point else None,
        "coordinates": {"type": "Point", "coordinates": point} if point else None,
        "place": _place(place) if place else None,
    }


def _place(place: Mapping[str, Any]) -> dict[str, Any]:
    box = place.get("geo", {}).get("bbox")
    corners = None
    if isinstance(box, list) and len(box) == 4:
        west, south, east, north = box
        corners = [[[west, south], [east, south], [east, north], [west, north]]]
    return {
        "id": place["id"],
        "url": f"https://api.twitter.com/1.1/geo/id/{place['id']}.json",
        "place_type": place.get("place_type", ""),
        "name": place.get("name", ""),
        "full_name": place.get("full_name", ""),
        "country_code": place.get("country_code", ""),
        "country": place.get("country", ""),
        "contained_within": [],
        "bounding_box": {"type": "Polygon", "coordinates": corners} if corners else None,
        "attributes": place.get("geo", {}).get("properties", {}),
    }


def v11_status(tweet: Mapping[str, Any], *, include_entities: bool = True) -> dict[str, Any]:
    """The `status` a v1.1 user object embeds: the Tweet without its user, in compat mode."""
    return v11_tweet(tweet, include_entities=include_entities)
