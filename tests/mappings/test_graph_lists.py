"""friends/ids, followers/ids, friends/list, followers/list and blocks/list over v2's lists:
anyone's lists, v1.1 pages of up to 5000 ids from v2 pages of 1000, user objects with their
most recent tweet, answered as the real v1.1 recordings (tweepy, 2021)."""

from typing import Any

import pytest

from mappings.blocks import BLOCKS
from mappings.cursors import cursor_for
from mappings.errors import V11Error
from mappings.friends import FOLLOWERS, FRIENDS
from mappings.params import Target
from mappings.tweets import TWEET_FIELDS, TWEET_LOOKUP
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from mappings.users import BY_NAME, USER_FIELDS, lookup_call
from tests.fakes import ERRORS, NOT_AUTHORIZED, load, not_found, twitter_user
from tests.mappings.play import play, translate

ME = Caller("1072250532645998596")
FIELDS = (("user.fields", USER_FIELDS),)
LIMITS = {"x-rate-limit-limit": "15", "x-rate-limit-remaining": "13", "x-rate-limit-reset": "9"}
# The real v1.1 pages of @TweepyDev's friends (tweepy, 2021): what v1.1 answered.
FRIEND_IDS = load("reference/testgetfriendids.decoded.json")["interactions"][0]["response"]["body"]
FRIENDS_LIST = load("reference/testgetfriends.decoded.json")["interactions"][0]["response"]["body"]


def get(path: str, cursors: dict[str, str] | None = None, **params: str) -> Any:
    request = V11Request("GET", f"/1.1/{path}.json", tuple(params.items()))
    return translate(request, Known(ME, cursors or {}))


def listing(owner: str, name: str, *params: tuple[str, str], access: Any = None) -> V2Call:
    return V2Call("GET", f"/2/users/{owner}/{name}", params, access=access or FRIENDS.access)


def page(ids: list[str], next_token: str = "", previous: str = "") -> V2Reply:
    meta: dict[str, Any] = {"result_count": len(ids)}
    meta |= {"next_token": next_token} if next_token else {}
    meta |= {"previous_token": previous} if previous else {}
    users = [{"id": i, "name": f"u{i}", "username": f"u{i}"} for i in ids]
    return V2Reply(200, LIMITS, {"data": users, "meta": meta} if ids else {"meta": meta})


def test_the_callers_friend_ids_answer_as_v11_did():
    """The real v1.1 friends/ids page for the same seven friends, byte for byte."""
    ids = [str(i) for i in FRIEND_IDS["ids"]]
    reply = play(
        get("friends/ids"),
        ((listing(ME.user_id, "following", ("max_results", "1000")),), (page(ids),)),
    )

    assert reply.body == FRIEND_IDS
    assert reply.headers == LIMITS


def test_another_users_followers_by_user_id_need_no_lookup():
    reply = play(
        get("followers/ids", user_id="783214", stringify_ids="true"),
        (
            (listing("783214", "followers", ("max_results", "1000"), access=FOLLOWERS.access),),
            (page(["15772978", "145336962"]),),
        ),
    )

    assert reply.body["ids"] == ["15772978", "145336962"]


def test_a_screen_name_is_looked_up_first():
    lookup = lookup_call(Target(screen_name="Twitter"), with_status=False, cache=True)
    reply = play(
        get("friends/ids", screen_name="Twitter"),
        ((lookup,), (V2Reply(200, {}, twitter_user()),)),
        ((listing("783214", "following", ("max_results", "1000")),), (page(["12"]),)),
    )

    assert lookup.access == BY_NAME
    assert reply.body["ids"] == [12]


def test_a_user_who_does_not_exist_is_34_as_in_v11():
    lookup = lookup_call(Target(screen_name="nobody"), with_status=False, cache=True)
    flow = get("friends/ids", screen_name="nobody")

    with pytest.raises(V11Error) as error:
        play(flow, ((lookup,), (V2Reply(200, {}, {"errors": [not_found("username", "nobody")]}),)))

    assert (error.value.status, error.value.code) == (404, 34)


def test_a_malformed_user_id_is_34_before_any_call():
    with pytest.raises(V11Error) as error:
        next(get("friends/ids", user_id="12ab"))

    assert error.value.code == 34


def test_a_protected_users_list_is_v11s_not_authorized():
    """v1.1 answered 401 `{"request": path, "error": "Not authorized."}`, without a code."""
    flow = get("friends/ids", user_id="99")

    with pytest.raises(V11Error) as error:
        play(
            flow,
            (
                (listing("99", "following", ("max_results", "1000")),),
                (V2Reply(200, {}, {"errors": [NOT_AUTHORIZED]}),),
            ),
        )

    assert error.value.status == 401
    assert error.value.at("/1.1/friends/ids.json").body() == {
        "request": "/1.1/friends/ids.json",
        "error": "Not authorized.",
    }


def test_one_v11_page_of_2500_takes_three_v2_pages_one_after_the_other():
    first, second, third = (
        listing(ME.user_id, "followers", *params, access=FOLLOWERS.access)
        for params in (
            (("max_results", "1000"),),
            (("max_results", "1000"), ("pagination_token", "T2")),
            (("max_results", "500"), ("pagination_token", "T3")),
        )
    )
    thousand = [str(n) for n in range(1, 1001)]
    tight = V2Reply(200, LIMITS | {"x-rate-limit-remaining": "1"}, page(thousand, "T3").body)
    reply = play(
        get("followers/ids", count="2500"),
        ((first,), (page(thousand, "T2", previous="BACK"),)),
        ((second,), (tight,)),
        ((third,), (page(thousand[:500], "T4"),)),
    )

    assert len(reply.body["ids"]) == 2500
    assert reply.body["next_cursor"] == cursor_for("T4")
    assert reply.body["previous_cursor"] == -cursor_for("BACK")
    assert reply.cursors == {str(cursor_for("T4")): "T4", str(cursor_for("BACK")): "BACK"}
    assert reply.headers == tight.headers  # the window with the fewest calls left


def test_the_pages_stop_where_the_list_ends():
    reply = play(
        get("friends/ids"),
        ((listing(ME.user_id, "following", ("max_results", "1000")),), (page(["1"], "T2"),)),
        (
            (
                listing(
                    ME.user_id, "following", ("max_results", "1000"), ("pagination_token", "T2")
                ),
            ),
            (page(["2"]),),
        ),
    )

    assert reply.body["ids"] == [1, 2]
    assert reply.body["next_cursor"] == 0


def test_a_count_over_5000_is_5000():
    calls = []
    flow = get("friends/ids", count="100000")
    batch = next(flow)
    try:
        for n in range(10):
            calls += batch
            batch = flow.send((page([str(i) for i in range(n * 1000, n * 1000 + 1000)], "MORE"),))
    except StopIteration as done:
        reply = done.value
    assert len(calls) == 5
    assert len(reply.body["ids"]) == 5000


def test_a_page_of_v2_users_without_ids_is_131():
    with pytest.raises(V11Error) as error:
        play(
            get("friends/ids"),
            (
                (listing(ME.user_id, "following", ("max_results", "1000")),),
                (V2Reply(200, {}, {"data": [{"name": "no id"}]}),),
            ),
        )

    assert error.value.code == 131


def recent_tweet() -> dict[str, Any]:
    (tweet,) = twitter_user()["includes"]["tweets"]
    return tweet  # type: ignore[no-any-return]


def test_friends_list_users_have_v11s_keys_in_v11s_order_and_their_status():
    user = twitter_user()["data"] | {"connection_status": ["following", "muting"]}
    tweet = recent_tweet()
    reply = play(
        get("friends/list"),
        (
            (listing(ME.user_id, "following", ("max_results", "20"), *FIELDS),),
            (V2Reply(200, LIMITS, {"data": [user], "meta": {"result_count": 1}}),),
        ),
        (
            (
                V2Call(
                    "GET",
                    "/2/tweets",
                    (("ids", user["most_recent_tweet_id"]), ("tweet.fields", TWEET_FIELDS)),
                    access=TWEET_LOOKUP,
                ),
            ),
            (V2Reply(200, {}, {"data": [tweet]}),),
        ),
    )
    (listed,) = reply.body["users"]
    recorded = FRIENDS_LIST["users"][0]

    assert list(reply.body) == list(FRIENDS_LIST)
    assert reply.body["total_count"] is None
    # v1.1's keys in v1.1's order; v2 adds withheld_in_countries (docs/differences.md).
    assert [k for k in listed if k != "withheld_in_countries"] == list(recorded)
    assert listed["status"]["id_str"] == tweet["id"]
    assert (listed["following"], listed["muting"], listed["blocking"]) == (True, True, False)
    assert (listed["live_following"], listed["blocked_by"]) == (False, False)


def test_skip_status_and_include_user_entities_false_ask_for_less():
    user = twitter_user()["data"] | {"connection_status": []}
    reply = play(
        get("followers/list", skip_status="true", include_user_entities="false"),
        (
            (
                listing(
                    ME.user_id, "followers", ("max_results", "20"), *FIELDS, access=FOLLOWERS.access
                ),
            ),
            (V2Reply(200, {}, {"data": [user]}),),
        ),
    )
    (listed,) = reply.body["users"]

    assert "status" not in listed
    assert "entities" not in listed
    assert listed["following"] is False  # not among its connection_status


def test_a_refused_tweet_lookup_leaves_the_users_without_status():
    user = twitter_user()["data"]
    reply = play(
        get("blocks/list"),
        (
            (
                listing(
                    ME.user_id, "blocking", ("max_results", "20"), *FIELDS, access=BLOCKS.access
                ),
            ),
            (V2Reply(200, {}, {"data": [user]}),),
        ),
        (
            (
                V2Call(
                    "GET",
                    "/2/tweets",
                    (("ids", user["most_recent_tweet_id"]), ("tweet.fields", TWEET_FIELDS)),
                    access=TWEET_LOOKUP,
                ),
            ),
            (V2Reply(403, {}, ERRORS["tier_without_access"]),),
        ),
    )
    (listed,) = reply.body["users"]

    assert "status" not in listed
    assert listed["blocking"] is True  # the caller's own block list


def test_201_users_look_up_their_tweets_in_three_calls_of_one_batch():
    users = [
        {"id": str(n), "name": "n", "username": "n", "most_recent_tweet_id": str(10_000 + n)}
        for n in range(1, 201)
    ]
    flow = get("friends/list", count="200")
    next(flow)
    batch = flow.send((V2Reply(200, {}, {"data": users}),))

    assert [len(call.params[0][1].split(",")) for call in batch] == [100, 100]
