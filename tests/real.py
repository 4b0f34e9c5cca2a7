"""Real v1.1 answers from the reference, and what v2 cannot reproduce of them."""

import json
from typing import Any

from tests.fakes import load

# The real v1.1 answer for @Twitter (blocks/create, 2019), and a real v1.1 mute answer (2022).
REAL_TWITTER: dict[str, Any] = load("reference/testcreatedestroyblock.decoded.json")[
    "interactions"
][0]["response"]["body"]
REAL_MUTE: dict[str, Any] = json.loads(
    load("reference/post_follow5.json")["http_interactions"][0]["response"]["body"]["string"]
)

# What v2 cannot know, with the reason docs/differences.md gives for each.
UNKNOWABLE = {
    "geo_enabled",  # no v2 field
    "profile_background_color",  # v2 has no theme; the default theme stands in
    "profile_background_image_url",
    "profile_background_image_url_https",
    "profile_background_tile",
    "profile_link_color",
    "profile_sidebar_border_color",
    "profile_sidebar_fill_color",
    "profile_use_background_image",
    "has_extended_profile",
    "default_profile",
    "translator_type",
    "withheld_in_countries",  # the 2019 recording predates the field
}
UNKNOWABLE_IN_STATUS = {"source", "entities"}  # v2 gives plain-text sources, no mention names


def knowable_differences(
    ours: dict[str, Any], *, with_status: bool = True
) -> dict[str, tuple[Any, Any]]:
    """Fields v2 does carry where ours differs from the real @Twitter object: (real, ours)."""
    keys = (REAL_TWITTER.keys() | ours.keys()) - UNKNOWABLE - {"status", "muting", "following"}
    differences = {
        k: (REAL_TWITTER.get(k), ours.get(k)) for k in keys if REAL_TWITTER.get(k) != ours.get(k)
    }
    for key in REAL_TWITTER["status"].keys() - UNKNOWABLE_IN_STATUS if with_status else ():
        if REAL_TWITTER["status"][key] != ours.get("status", {}).get(key):
            differences[f"status.{key}"] = (REAL_TWITTER["status"][key], ours["status"].get(key))
    return differences
