"""statuses/show (both spellings) and statuses/lookup over v2's Tweet lookups."""

from typing import Any

import pytest

from mappings.errors import V11Error
from mappings.statuses import tweet_params
from mappings.tweets import TWEET_LOOKUP
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from tests.fakes import load, tweet_missing
from tests.mappings.play import finish, play, translate
from tests.v2_shapes import v2_answer

ME = Caller("1500000000000000001")
# tweepy's real statuses/show answer (2019) for 266367358078169089, and it as v2 would carry it.
(RECORDED,) = [
    s["tweet"]
    for s in load("reference/v11_tweets.json")["tweets"]
    if "testgetstatus" in s["source"]
]
V2 = v2_answer(RECORDED)
LIMITS = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899", "x-rate-limit-reset": "9"}


def get(path: str, **params: str) -> Any:
    return translate(V11Request("GET", f"/1.1/{path}", tuple(params.items())), Known(ME))


def by_id(tweet_id: str) -> V2Call:
    return V2Call("GET", f"/2/tweets/{tweet_id}", tweet_params(), access=TWEET_LOOKUP)


@pytest.mark.parametrize("path", ["statuses/show.json", "statuses/show/{id}.json"])
def test_show_answers_the_v11_tweet(path):
    """The id as a parameter, or from the path (the route hands it over as `id`)."""
    reply = play(
        get(path, id=RECORDED["id_str"]),
        ((by_id(RECORDED["id_str"]),), (V2Reply(200, LIMITS, V2),)),
    )

    assert reply.body["id_str"] == RECORDED["id_str"]
    assert reply.body["text"] == RECORDED["text"]
    assert reply.body["user"]["screen_name"] == RECORDED["user"]["screen_name"]
    assert reply.headers == LIMITS


def test_show_trims_the_user_and_goes_extended_when_asked():
    reply = play(
        get("statuses/show.json", id=RECORDED["id_str"], trim_user="1", tweet_mode="extended"),
        ((by_id(RECORDED["id_str"]),), (V2Reply(200, {}, V2),)),
    )

    assert set(reply.body["user"]) == {"id", "id_str"}
    assert reply.body["full_text"] == RECORDED["text"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"errors": [tweet_missing("1")]}, 404, 144),
        (
            {
                "errors": [
                    {
                        "title": "Authorization Error",
                        "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                    }
                ]
            },
            403,
            179,
        ),
    ],
)
def test_show_of_a_missing_or_protected_tweet(body, status, code):
    with pytest.raises(V11Error) as error:
        play(get("statuses/show.json", id="1"), ((by_id("1"),), (V2Reply(200, {}, body),)))

    assert (error.value.status, error.value.code) == (status, code)


@pytest.mark.parametrize(
    ("params", "code"), [({}, 38), ({"id": "abc"}, 144), ({"id": "1" * 20}, 144)]
)
def test_show_refuses_what_names_no_tweet_before_any_call(params, code):
    with pytest.raises(V11Error) as error:
        next(get("statuses/show.json", **params))

    assert error.value.code == code


def lookup_call(ids: str) -> V2Call:
    return V2Call("GET", "/2/tweets", (("ids", ids), *tweet_params()), access=TWEET_LOOKUP)


def test_lookup_leaves_out_what_it_did_not_find():
    found = {**V2, "data": [V2["data"]], "errors": [tweet_missing("2")]}
    reply = play(
        get("statuses/lookup.json", id=f"{RECORDED['id_str']}, 2,x,{RECORDED['id_str']}"),
        ((lookup_call(f"{RECORDED['id_str']},2"),), (V2Reply(200, LIMITS, found),)),
    )

    assert [t["id_str"] for t in reply.body] == [RECORDED["id_str"]]


def test_lookup_with_map_names_every_id_asked():
    found = {**V2, "data": [V2["data"]], "errors": [tweet_missing("2")]}
    reply = play(
        get("statuses/lookup.json", id=f"{RECORDED['id_str']},2", map="true"),
        ((lookup_call(f"{RECORDED['id_str']},2"),), (V2Reply(200, {}, found),)),
    )

    assert list(reply.body["id"]) == [RECORDED["id_str"], "2"]
    assert reply.body["id"]["2"] is None
    assert reply.body["id"][RECORDED["id_str"]]["id_str"] == RECORDED["id_str"]


def test_lookup_of_nothing_usable_asks_nothing():
    reply = finish(get("statuses/lookup.json", id="x,y"))

    assert reply.body == []


def test_lookup_of_more_than_100_ids_is_refused():
    with pytest.raises(V11Error) as error:
        next(get("statuses/lookup.json", id=",".join(str(n) for n in range(1, 102))))

    assert error.value.code == 18
