"""favorites/create and destroy, statuses/retweet/:id and unretweet/:id over v2's likes and
retweets, answered as the real recorded v1.1 answers (tests/data/reference/tweet_writes.json)."""

from typing import Any

import pytest

from mappings.errors import V11Error
from mappings.statuses import tweet_params
from mappings.tweet_actions import LIKES, OWN_TWEETS, RETWEETS
from mappings.tweet_writes import read_call
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from tests.fakes import load, tweet_missing
from tests.mappings.play import play, translate
from tests.mappings.test_statuses import NO_V2_SOURCE, keys
from tests.v2_shapes import v2_answer

V11 = load("reference/tweet_writes.json")["v11"]
ME = Caller("1072250532645998596")  # @TweepyDev, whose token made the recordings
LIKED, UNLIKED = V11["favorites/create"]["body"], V11["favorites/destroy"]["body"]
RETWEET, UNRETWEETED = V11["retweet"]["body"], V11["unretweet"]["body"]
ORIGINAL = RETWEET["retweeted_status"]
# The rate-limit window of v2's real like answer (tweepy's recording).
LIKE_HEADERS = load("reference/tweet_writes.json")["v2"]["like"]["headers"]
CHANGE_LIMITS = {k: v for k, v in LIKE_HEADERS.items() if k.startswith("x-rate-limit-")}
READ_LIMITS = {
    "x-rate-limit-limit": "900",
    "x-rate-limit-remaining": "899",
    "x-rate-limit-reset": "1619531000",
}


def post(path: str, **params: str) -> Any:
    return translate(V11Request("POST", f"/1.1/{path}", tuple(params.items())), Known(ME))


def change(method: str, action: Any, tweet_id: str) -> V2Call:
    path = f"/2/users/{ME.user_id}/{action.name}"
    if method == "DELETE":
        return V2Call(method, f"{path}/{tweet_id}", access=action.access)
    body = {"tweet_id": tweet_id}
    return V2Call(method, path, json=body, repeatable=action.repeatable, access=action.access)


def changed(field: str, state: bool) -> V2Reply:
    return V2Reply(200, CHANGE_LIMITS, {"data": {field: state}})


@pytest.mark.parametrize(
    ("path", "method", "recorded", "state"),
    [
        ("favorites/create.json", "POST", LIKED, True),
        ("favorites/destroy.json", "DELETE", UNLIKED, False),
    ],
)
def test_a_like_or_unlike_answers_the_tweet_favorited_as_the_change_left_it(
    path, method, recorded, state
):
    tweet_id = recorded["id_str"]
    reply = play(
        post(path, id=tweet_id),
        (
            (change(method, LIKES, tweet_id), read_call(tweet_id)),
            (changed("liked", state), V2Reply(200, READ_LIMITS, v2_answer(recorded))),
        ),
    )

    assert keys(reply.body, NO_V2_SOURCE) == keys(recorded, NO_V2_SOURCE)
    assert reply.body["favorited"] is recorded["favorited"] is state
    assert reply.body["favorite_count"] == recorded["favorite_count"]
    assert reply.headers == CHANGE_LIMITS  # 48 left of 50, tighter than the read's


def test_liking_again_is_safe_to_send_again_and_unliking_is_a_delete():
    assert change("POST", LIKES, "1").idempotent
    assert change("DELETE", LIKES, "1").idempotent
    assert not change("POST", RETWEETS, "1").idempotent


def test_unretweet_answers_the_original_not_retweeted():
    """v1.1's recorded answer still said `retweeted: true` (its state before the change,
    docs/differences.md); the shim says what the change left."""
    tweet_id = UNRETWEETED["id_str"]
    reply = play(
        post("statuses/unretweet/{id}.json", id=tweet_id),
        (
            (change("DELETE", RETWEETS, tweet_id), read_call(tweet_id)),
            (changed("retweeted", False), V2Reply(200, {}, v2_answer(UNRETWEETED))),
        ),
    )

    assert keys(reply.body, NO_V2_SOURCE) == keys(UNRETWEETED, NO_V2_SOURCE)
    assert reply.body["id_str"] == tweet_id
    assert reply.body["retweeted"] is False


def newest() -> V2Call:
    path = f"/2/users/{ME.user_id}/tweets"
    return V2Call("GET", path, (("max_results", "5"), *tweet_params()), access=OWN_TWEETS)


def test_retweet_answers_the_new_retweet_found_among_the_callers_newest():
    answer = v2_answer(RETWEET)
    other = {"id": "1", "text": "older", "created_at": "2021-01-01T00:00:00.000Z"}
    page = {**answer, "data": [other, answer["data"]], "meta": {"result_count": 2}}
    reply = play(
        post("statuses/retweet/{id}.json", id=ORIGINAL["id_str"]),
        (
            (change("POST", RETWEETS, ORIGINAL["id_str"]), read_call(ORIGINAL["id_str"])),
            (changed("retweeted", True), V2Reply(200, READ_LIMITS, v2_answer(ORIGINAL))),
        ),
        ((newest(),), (V2Reply(200, READ_LIMITS, page),)),
    )

    assert keys(reply.body, NO_V2_SOURCE) == keys(RETWEET, NO_V2_SOURCE)
    assert reply.body["id_str"] == RETWEET["id_str"]
    assert reply.body["retweeted_status"]["id_str"] == ORIGINAL["id_str"]
    assert reply.body["retweeted"] is reply.body["retweeted_status"]["retweeted"] is True
    assert reply.body["text"] == RETWEET["text"]


def test_retweet_not_found_among_the_newest_answers_the_original_retweeted():
    reply = play(
        post("statuses/retweet/{id}.json", id=ORIGINAL["id_str"]),
        (
            (change("POST", RETWEETS, ORIGINAL["id_str"]), read_call(ORIGINAL["id_str"])),
            (changed("retweeted", True), V2Reply(200, {}, v2_answer(ORIGINAL))),
        ),
        ((newest(),), (V2Reply(403, {}, {"title": "Forbidden"}),)),
    )

    assert reply.body["id_str"] == ORIGINAL["id_str"]
    assert reply.body["retweeted"] is True


@pytest.mark.parametrize(
    ("path", "action"),
    [("favorites/create.json", LIKES), ("statuses/retweet/{id}.json", RETWEETS)],
)
def test_liking_or_retweeting_a_tweet_not_there_is_144_whatever_the_change_said(path, action):
    with pytest.raises(V11Error) as error:
        play(
            post(path, id="404"),
            (
                (change("POST", action, "404"), read_call("404")),
                (
                    V2Reply(400, {}, {"title": "Invalid Request"}),
                    V2Reply(200, {}, {"errors": [tweet_missing("404")]}),
                ),
            ),
        )

    assert (error.value.status, error.value.code) == (404, 144)


@pytest.mark.parametrize(
    "path",
    [
        "favorites/create.json",
        "favorites/destroy.json",
        "statuses/retweet/{id}.json",
        "statuses/unretweet/{id}.json",
    ],
)
@pytest.mark.parametrize(("params", "code"), [({}, 38), ({"id": "abc"}, 144)])
def test_what_names_no_tweet_is_refused_before_any_call(path, params, code):
    with pytest.raises(V11Error) as error:
        next(post(path, **params))

    assert error.value.code == code
