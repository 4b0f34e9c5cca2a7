"""v2 entities and timestamps in their v1.1 form.

v2 marks an entity's place with `start`/`end`; v1.1 with `indices: [start, end]`. v2 dates are
ISO 8601 (`2013-12-14T04:35:55.000Z`); v1.1 wrote `Sat Dec 14 04:35:55 +0000 2013`
(reference api-facts 1.1).
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

V11_DATE = "%a %b %d %H:%M:%S +0000 %Y"


def v11_date(iso: str) -> str:
    """An ISO 8601 timestamp from v2 (`2013-12-14T04:35:55.000Z`; any offset) in v1.1's
    `created_at` format."""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        raise ValueError(f"a timestamp without its offset: {iso!r}")
    return moment.astimezone(UTC).strftime(V11_DATE)


def indices(entity: Mapping[str, Any]) -> list[int]:
    """v1.1's `[start, end]` pair for a v2 entity."""
    return [entity["start"], entity["end"]]


def v11_urls(urls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """v2 URL entities as v1.1 writes them."""
    return [
        {
            "url": url["url"],
            "expanded_url": url.get("expanded_url", url["url"]),
            "display_url": url.get("display_url", url["url"]),
            "indices": indices(url),
        }
        for url in urls
    ]


def v11_tweet_entities(entities: Mapping[str, Any]) -> dict[str, Any]:
    """A v2 tweet's entities as v1.1's `hashtags`, `symbols`, `user_mentions` and `urls`."""
    return {
        "hashtags": [
            {"text": t["tag"], "indices": indices(t)} for t in entities.get("hashtags", [])
        ],
        "symbols": [
            {"text": t["tag"], "indices": indices(t)} for t in entities.get("cashtags", [])
        ],
        "user_mentions": [_mention(m) for m in entities.get("mentions", [])],
        "urls": v11_urls(entities.get("urls", [])),
    }


def _mention(mention: Mapping[str, Any]) -> dict[str, Any]:
    # v2 mentions carry no display name; the screen name is the nearest value v2 gives.
    user_id = mention.get("id")
    return {
        "screen_name": mention["username"],
        "name": mention["username"],
        "id": int(user_id) if user_id else None,
        "id_str": user_id,
        "indices": indices(mention),
    }
