"""The v1.1 Tweet renderer against real v1.1 Tweets: each recorded Tweet re-expressed in v2's
shape (tests/v2_shapes.py) and rendered back has v1.1's keys in v1.1's order, its nesting and
types, and v1.1's values wherever v2 carries them."""

from typing import Any

import pytest

from mappings.statuses import Rendering, tweet_params, v11_status, v11_statuses
from tests.fakes import load
from tests.v2_shapes import v2_answer

SAMPLES = [sample["tweet"] for sample in load("reference/v11_tweets.json")["tweets"]]
# What v2 has no source for (docs/differences.md): search's `metadata`, X's own sensitivity
# appeal flag, and a retweeted media item's origin.
NO_V2_SOURCE = {"possibly_sensitive_appealable", "metadata"}
MEDIA_NO_V2_SOURCE = {
    "source_status_id",
    "source_status_id_str",
    "source_user_id",
    "source_user_id_str",
    "additional_media_info",
}
# The recordings predate `withheld_in_countries` on users, and hold v1.1's per-viewer flags
# as their viewer saw them (the v1.1 user object's own tests cover those).
USER_NO_V2_SOURCE = {"withheld_in_countries", "following", "follow_request_sent", "notifications"}


COMPAT = Rendering()


def rendered(recorded: dict[str, Any], rendering: Rendering = COMPAT) -> dict[str, Any]:
    answer = v2_answer(recorded)
    return v11_status(answer["data"], answer["includes"], rendering)


def without(found: dict[str, Any], left_out: set[str]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k not in left_out}


def keys(found: dict[str, Any], left_out: set[str]) -> list[str]:
    return [key for key in found if key not in left_out]


@pytest.mark.parametrize("recorded", SAMPLES, ids=lambda t: t["id_str"])
def test_the_keys_and_their_order_are_v11s(recorded):
    ours = rendered(recorded)

    assert keys(ours, NO_V2_SOURCE) == keys(recorded, NO_V2_SOURCE)
    assert set(ours["user"]) - USER_NO_V2_SOURCE == set(recorded["user"]) - USER_NO_V2_SOURCE
    for media, real in zip(
        ours.get("extended_entities", {}).get("media", []),
        recorded.get("extended_entities", {}).get("media", []),
        strict=True,
    ):
        assert keys(media, MEDIA_NO_V2_SOURCE) == keys(real, MEDIA_NO_V2_SOURCE)
    if "retweeted_status" in recorded:
        nested = keys(ours["retweeted_status"], NO_V2_SOURCE)
        assert nested == keys(recorded["retweeted_status"], NO_V2_SOURCE)


@pytest.mark.parametrize("recorded", SAMPLES, ids=lambda t: t["id_str"])
def test_the_values_v2_carries_are_v11s(recorded):
    ours = rendered(recorded)
    same = (
        "created_at",
        "id",
        "id_str",
        "text",
        "truncated",
        "entities",
        "in_reply_to_status_id",
        "in_reply_to_status_id_str",
        "in_reply_to_user_id",
        "in_reply_to_user_id_str",
        "in_reply_to_screen_name",
        "geo",
        "coordinates",
        "place",
        "is_quote_status",
        "retweet_count",
        "favorite_count",
        "lang",
    )

    expected = {k: recorded.get(k) for k in same}
    expected["entities"] = recorded["entities"] | {
        "media": [without(m, MEDIA_NO_V2_SOURCE) for m in recorded["entities"].get("media", [])]
    }
    if not expected["entities"]["media"]:
        del expected["entities"]["media"]

    assert {k: ours.get(k) for k in same} == expected
    if (
        recorded["source"].startswith('<a href="http://twitter.com')
        or "mobile" in recorded["source"]
    ):
        assert ours["source"] == recorded["source"]
    for media, real in zip(
        ours.get("extended_entities", {}).get("media", []),
        recorded.get("extended_entities", {}).get("media", []),
        strict=True,
    ):
        assert without(media, MEDIA_NO_V2_SOURCE) == without(real, MEDIA_NO_V2_SOURCE)
    if "retweeted_status" in recorded:
        assert ours["retweeted_status"]["text"] == recorded["retweeted_status"]["text"]
        assert (
            ours["retweeted_status"]["user"]["id_str"]
            == recorded["retweeted_status"]["user"]["id_str"]
        )


def test_trim_user_leaves_the_authors_id():
    recorded = SAMPLES[0]

    ours = rendered(recorded, Rendering(trim_user=True))

    assert ours["user"] == {"id": recorded["user"]["id"], "id_str": recorded["user"]["id_str"]}


def test_include_entities_false_leaves_them_out():
    with_media = next(t for t in SAMPLES if "extended_entities" in t)

    ours = rendered(with_media, Rendering(include_entities=False))

    assert "entities" not in ours
    assert "extended_entities" not in ours
    assert "entities" not in ours["user"]


def test_extended_mode_has_full_text_and_the_display_range():
    """v1.1's extended reply `@TreyNKennedy 👀 <photo link>`: the range leaves out the reply's
    leading mention and the trailing photo link (code points: the emoji is one)."""
    reply = next(t for t in SAMPLES if t["id_str"] == "1341793727208181762")

    ours = rendered(reply, Rendering(extended=True))

    assert ours["full_text"] == reply["text"]
    assert "text" not in ours
    assert ours["display_text_range"] == [14, 15]
    assert list(ours)[3:6] == ["full_text", "truncated", "display_text_range"]


# X's migration guide shows one Tweet both ways: v2's whole text and v1.1's compat cut.
GUIDE_V2_TEXT = (
    "Go ahead, follow another puppy account. We won\u2019t judge. \n\nIntroducing the manage "
    "follows endpoints to the new #TwitterAPI. You can now use the v2 API to follow and "
    "unfollow accounts. Learn more https://t.co/mtpd9VIMDa"
)
GUIDE_V11_TEXT = (
    "Go ahead, follow another puppy account. We won\u2019t judge. \n\nIntroducing the manage "
    "follows endpoints to the new… https://t.co/3cBZKZUevF"
)


def guide_tweet() -> dict[str, Any]:
    return {
        "id": "1359554366051504129",
        "text": GUIDE_V2_TEXT,
        "created_at": "2021-02-10T17:26:34.000Z",
        "author_id": "2244994945",
        "lang": "en",
        "possibly_sensitive": False,
        "public_metrics": {
            "retweet_count": 18,
            "reply_count": 11,
            "like_count": 98,
            "quote_count": 7,
        },
        "entities": {
            "hashtags": [{"start": 110, "end": 121, "tag": "TwitterAPI"}],
            "urls": [{"start": 194, "end": 217, "url": "https://t.co/mtpd9VIMDa"}],
        },
    }


def test_compat_mode_cuts_a_long_tweet_as_v11_did():
    """The same cut, ellipsis and space; the link is the Tweet's own address (the shim cannot
    mint v1.1's t.co link), and only the entities inside the cut remain."""
    ours = v11_status(guide_tweet(), {}, Rendering())
    link = "https://twitter.com/i/web/status/1359554366051504129"

    assert ours["truncated"] is True
    assert ours["text"] == GUIDE_V11_TEXT.replace("https://t.co/3cBZKZUevF", link)
    assert ours["entities"]["hashtags"] == []
    (url,) = ours["entities"]["urls"]
    assert url["indices"] == [111, 111 + len(link)]  # v1.1's [111, 134], with a longer link
    assert (url["expanded_url"], url["display_url"]) == (link, "twitter.com/i/web/status/1…")


def test_extended_mode_keeps_a_long_tweet_whole():
    ours = v11_status(guide_tweet(), {}, Rendering(extended=True))

    assert (ours["full_text"], ours["truncated"]) == (GUIDE_V2_TEXT, False)
    assert ours["display_text_range"] == [0, len(GUIDE_V2_TEXT)]
    assert ours["entities"]["hashtags"] == [{"text": "TwitterAPI", "indices": [110, 121]}]


def test_a_quote_nests_the_quoted_tweet():
    quoted = guide_tweet()
    quoting = guide_tweet() | {
        "id": "1359554366051504200",
        "text": "Look",
        "referenced_tweets": [{"type": "quoted", "id": quoted["id"]}],
    }

    ours = v11_status(quoting, {"tweets": [quoted]}, Rendering(extended=True))

    assert ours["is_quote_status"] is True
    assert (ours["quoted_status_id"], ours["quoted_status_id_str"]) == (
        int(quoted["id"]),
        quoted["id"],
    )
    assert ours["quoted_status"]["full_text"] == GUIDE_V2_TEXT
    keys_in_order = list(ours)
    assert keys_in_order.index("quoted_status") == keys_in_order.index("quoted_status_id_str") + 1


def test_a_tweet_naming_itself_is_nested_once():
    own = guide_tweet() | {"referenced_tweets": [{"type": "quoted", "id": "1359554366051504129"}]}

    ours = v11_status(own, {"tweets": [own]}, Rendering())

    assert "quoted_status" not in ours["quoted_status"]


def test_a_list_leaves_out_what_is_not_a_tweet():
    body = {"data": [guide_tweet(), {"id": "x"}, "junk", guide_tweet() | {"id": "12"}]}

    assert [t["id_str"] for t in v11_statuses(body, Rendering())] == ["1359554366051504129", "12"]


def test_every_v2_call_asks_for_what_the_renderer_reads():
    params = dict(tweet_params())

    assert set(params) == {
        "tweet.fields",
        "expansions",
        "user.fields",
        "media.fields",
        "place.fields",
    }
    assert "referenced_tweets.id.author_id" in params["expansions"].split(",")
    assert "attachments" in params["tweet.fields"].split(",")
