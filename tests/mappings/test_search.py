"""search/tweets over v2's recent search: the v1.1 answer against tweepy's real recording
(`testsearchtweets.json`, 2019), its parameters, and its refusals before any v2 call."""

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.errors import V11Error
from mappings.search import PATH, SEARCH
from mappings.statuses import tweet_params
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from tests.fakes import load
from tests.mappings.play import finish, play, translate
from tests.v2_shapes import v2_page

ME = Caller("1500000000000000001")
RECORDING = load("reference/testsearchtweets.json")["interactions"][0]
RECORDED = json.loads(RECORDING["response"]["body"]["string"])
LIMITS = {"x-rate-limit-limit": "180", "x-rate-limit-remaining": "175", "x-rate-limit-reset": "9"}
# tweepy's real v2 recent search (2022): the shape v2 answers with, `meta.next_token` and all.
V2_RECORDED = load("reference/test_client_search_recent_tweets.decoded.json")["interactions"][0]


def as_v2(statuses: list[dict[str, Any]], next_token: str | None = "b26v") -> dict[str, Any]:
    return v2_page(statuses, next_token)


def get(**params: str) -> Any:
    return translate(V11Request("GET", "/1.1/search/tweets.json", tuple(params.items())), Known(ME))


def searched(query: str, *more: tuple[str, str], results: str = "15") -> V2Call:
    params = (("query", query), ("max_results", results), *more, *tweet_params())
    return V2Call("GET", PATH, params, access=SEARCH)


def test_the_answer_is_the_recorded_one():
    reply = play(
        get(q="tweepy"),
        ((searched("tweepy"),), (V2Reply(200, LIMITS, as_v2(RECORDED["statuses"])),)),
    )

    assert list(reply.body) == ["statuses", "search_metadata"]
    assert list(reply.body["search_metadata"]) == list(RECORDED["search_metadata"])
    expected = dict(RECORDED["search_metadata"], completed_in=0.0)
    assert reply.body["search_metadata"] == expected
    assert [s["id_str"] for s in reply.body["statuses"]] == [
        s["id_str"] for s in RECORDED["statuses"]
    ]
    for ours, theirs in zip(reply.body["statuses"], RECORDED["statuses"], strict=True):
        assert list(ours) == list(theirs)
        assert ours["metadata"] == theirs["metadata"]
        if "retweeted_status" in theirs:
            assert list(ours["retweeted_status"]) == list(theirs["retweeted_status"])
    assert reply.headers == LIMITS


def test_the_real_v2_answer_renders_with_next_results_for_tweepy_to_page_with():
    body = V2_RECORDED["response"]["body"]
    for tweet in body["data"]:  # the recording asked for no fields; the shim asks for these
        tweet |= {"created_at": "2022-10-07T22:42:12.000Z", "lang": "en", "author_id": "1"}
    reply = play(
        get(q="Tweepy", count="10"),
        ((searched("Tweepy", results="10"),), (V2Reply(200, {}, body),)),
    )

    oldest = min(int(t["id"]) for t in body["data"])
    metadata = reply.body["search_metadata"]
    assert len(reply.body["statuses"]) == 10
    assert parse_qs(metadata["next_results"][1:]) == {
        "max_id": [str(oldest - 1)],
        "q": ["Tweepy"],
        "count": ["10"],
        "include_entities": ["1"],
    }


def test_the_last_page_has_no_next_results():
    reply = play(
        get(q="tweepy"),
        ((searched("tweepy"),), (V2Reply(200, {}, as_v2(RECORDED["statuses"][:3], None)),)),
    )

    assert len(reply.body["statuses"]) == 3
    assert "next_results" not in reply.body["search_metadata"]


def test_no_results():
    reply = play(get(q="tweepy"), ((searched("tweepy"),), (V2Reply(200, {}, {"meta": {}}),)))

    assert reply.body["statuses"] == []
    assert reply.body["search_metadata"]["max_id"] == 0
    assert "next_results" not in reply.body["search_metadata"]


def test_fewer_than_v2s_least_are_asked_as_ten_and_cut():
    reply = play(
        get(q="tweepy", count="3"),
        (
            (searched("tweepy", results="10"),),
            (V2Reply(200, {}, as_v2(RECORDED["statuses"][:10], None)),),
        ),
    )

    assert len(reply.body["statuses"]) == 3
    third = RECORDED["statuses"][2]["id"]
    assert reply.body["search_metadata"]["next_results"].startswith(f"?max_id={third - 1}&")


@pytest.mark.parametrize(("count", "asked"), [("500", "100"), ("0", "15"), ("x", "15")])
def test_count_is_v11s(count: str, asked: str):
    play(get(q="a", count=count), ((searched("a", results=asked),), (V2Reply(200, {}, {}),)))


def test_max_id_is_inclusive_and_the_rest_become_v2_parameters():
    """v1.1's max_id included the Tweet it names; v2's until_id leaves it out: one more.
    Operators and parameters naming the same bound keep the tighter one."""
    call = searched(
        "a (b OR c) lang:en",
        ("end_time", "2026-12-03T00:00:00Z"),
        ("since_id", "7"),
        ("start_time", "2026-12-01T00:00:00Z"),
        ("until_id", "100"),
        ("sort_order", "relevancy"),
    )
    play(
        get(
            q="a b OR c since:2026-12-01 since_id:3 max_id:200",
            lang="en",
            since_id="7",
            max_id="99",
            until="2026-12-03",
            result_type="popular",
            locale="ja",
        ),
        ((call,), (V2Reply(200, {}, {}),)),
    )


@pytest.mark.parametrize(
    ("params", "code", "status"),
    [
        ({}, 25, 400),
        ({"q": "  "}, 25, 400),
        ({"q": "movie :)"}, 195, 403),
        ({"q": "a", "geocode": "37.78,-122.39,1mi"}, 195, 403),
        ({"q": "a", "lang": "en lang:fr"}, 195, 403),
        ({"q": "a", "max_id": "x"}, 195, 403),
        ({"q": "a", "until": "tomorrow"}, 195, 403),
        ({"q": "a", "until": "2026-02-30"}, 195, 403),
    ],
)
def test_what_cannot_be_searched_is_refused_before_any_v2_call(params, code, status):
    with pytest.raises(V11Error) as error:
        finish(get(**params))

    assert (error.value.code, error.value.status) == (code, status)


def test_v2s_refusal_of_a_query_says_why():
    refused = {
        "errors": [{"parameters": {"query": ["has:links"]}, "message": "no standalone operator"}],
        "title": "Invalid Request",
    }
    with pytest.raises(V11Error) as error:
        play(get(q="filter:links"), ((searched("has:links"),), (V2Reply(400, {}, refused),)))

    assert error.value.code == 195
    assert "no standalone operator" in error.value.message


def test_a_retweets_original_carries_metadata_too():
    (retweet,) = [s for s in RECORDED["statuses"] if "retweeted_status" in s][:1]
    reply = play(get(q="tweepy"), ((searched("tweepy"),), (V2Reply(200, {}, as_v2([retweet])),)))

    original = reply.body["statuses"][0]["retweeted_status"]
    assert original["metadata"] == retweet["retweeted_status"]["metadata"]


def too_old(name: str, value: str) -> V2Reply:
    """v2's 400 for a bound before its seven days, in its own words."""
    message = f"Invalid '{name}':'{value}'. '{name}' must be on or after 2026-11-27T23:00Z"
    error = {"parameters": {name: [value]}, "message": message}
    return V2Reply(400, LIMITS, {"errors": [error], "title": "Invalid Request"})


def test_a_start_older_than_v2s_week_bounds_nothing_as_in_v11():
    """v1.1 searched the same seven days and took `since:2019-01-01` without complaint."""
    page = as_v2(RECORDED["statuses"][:2], None)
    reply = play(
        get(q="tweepy since:2019-01-01"),
        (
            (searched("tweepy", ("start_time", "2019-01-01T00:00:00Z")),),
            (too_old("start_time", "2019-01-01T00:00Z"),),
        ),
        ((searched("tweepy"),), (V2Reply(200, {**LIMITS, "x-rate-limit-remaining": "174"}, page),)),
    )

    assert len(reply.body["statuses"]) == 2
    assert reply.headers["x-rate-limit-remaining"] == "174"  # the tighter of the two windows


def test_an_end_older_than_v2s_week_finds_nothing_as_in_v11():
    reply = play(
        get(q="tweepy", until="2019-01-01"),
        (
            (searched("tweepy", ("end_time", "2019-01-01T00:00:00Z")),),
            (too_old("end_time", "2019-01-01T00:00Z"),),
        ),
    )

    assert reply.body["statuses"] == []
    assert "next_results" not in reply.body["search_metadata"]


def test_a_start_in_the_future_finds_nothing():
    message = "'start_time' must be a minimum of 10 seconds prior to the request time."
    late = V2Reply(400, {}, {"errors": [{"message": message}]})
    reply = play(
        get(q="tweepy since:2099-01-01"),
        ((searched("tweepy", ("start_time", "2099-01-01T00:00:00Z")),), (late,)),
    )

    assert reply.body["statuses"] == []


def test_an_end_in_the_future_bounds_nothing():
    message = (
        "Invalid 'end_time':'2099-01-01T00:00Z'. "
        "'end_time' must be a minimum of 10 seconds prior to the request time."
    )
    late = V2Reply(400, {}, {"errors": [{"message": message}]})
    reply = play(
        get(q="tweepy until:2099-01-01"),
        ((searched("tweepy", ("end_time", "2099-01-01T00:00:00Z")),), (late,)),
        ((searched("tweepy"),), (V2Reply(200, {}, {}),)),
    )

    assert reply.body["statuses"] == []


PARAMETERS = st.dictionaries(
    st.sampled_from(["q", "count", "since_id", "max_id", "until", "lang", "result_type"]),
    st.text(max_size=40),
)


@given(PARAMETERS)
def test_any_request_is_checked_or_refused_as_v11_would(params: dict[str, str]):
    """Whatever the parameters, the request becomes one v2 call or a v1.1 error, never a crash."""
    try:
        batch = next(get(**params))
    except V11Error as error:
        refused: V11Error | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.code in (25, 195)
        return
    (call,) = batch
    assert call.path == PATH
    assert 10 <= int(dict(call.params)["max_results"]) <= 100


def test_a_search_needs_no_caller():
    """Nobody known (an app-only token, or a token whose user the shim has not asked about):
    the search is the first and only call, no /2/users/me."""
    request = V11Request("GET", "/1.1/search/tweets.json", (("q", "a"),))
    play(translate(request, Known()), ((searched("a"),), (V2Reply(200, {}, {}),)))
