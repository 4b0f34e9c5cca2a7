"""The timelines (user, home, mentions) and favorites/list over v2's timelines, checked against
tweepy's real v1.1 user_timeline of @Twitter (2020) re-expressed as v2 data."""

import json
from typing import Any

import pytest

from mappings import ENDPOINTS
from mappings.compare import Outcome, differences
from mappings.endpoints import run
from mappings.errors import V11Error
from mappings.params import Target
from mappings.statuses import tweet_params
from mappings.timelines import HOME, LIKED, MENTIONS, USER_TWEETS, Timeline
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from mappings.users import lookup_call
from tests.fakes import load
from tests.mappings.play import play, translate
from tests.v2_shapes import v2_answer

ME = Caller("1500000000000000001")
TWITTER = "783214"
# tweepy's recorded user_timeline.json?screen_name=Twitter: 20 real v1.1 Tweets, newest first.
RECORDED = json.loads(
    load("reference/testusertimeline.json")["interactions"][1]["response"]["body"]["string"]
)
LIMITS = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "896", "x-rate-limit-reset": "9"}
TIGHTER = LIMITS | {"x-rate-limit-remaining": "3"}


def v2_page(tweets: list[dict[str, Any]], next_token: str | None = None) -> dict[str, Any]:
    """A v2 timeline page holding these recorded Tweets, with their includes, as v2 answers."""
    page: dict[str, Any] = {"data": [], "includes": {}, "meta": {"result_count": len(tweets)}}
    for tweet in tweets:
        answer = v2_answer(tweet)
        page["data"].append(answer["data"])
        for kind, items in answer["includes"].items():
            page["includes"].setdefault(kind, []).extend(items)
    if next_token:
        page["meta"]["next_token"] = next_token
    return page


def get(path: str, **params: str) -> Any:
    return translate(V11Request("GET", f"/1.1/{path}", tuple(params.items())), Known(ME))


def page_call(kind: Timeline, owner: str, size: int, *extra: tuple[str, str]) -> V2Call:
    path = f"/2/users/{owner}/{kind.segment}"
    params = (("max_results", str(size)), *extra, *tweet_params())
    return V2Call("GET", path, params, access=kind.access)


def test_a_user_timeline_by_name_is_the_recorded_one():
    by_name = lookup_call(Target(screen_name="Twitter"), with_status=False, cache=True)
    found = V2Reply(200, {}, {"data": {"id": TWITTER, "username": "Twitter"}})

    reply = play(
        get("statuses/user_timeline.json", screen_name="Twitter"),
        ((by_name,), (found,)),
        ((page_call(USER_TWEETS, TWITTER, 20),), (V2Reply(200, LIMITS, v2_page(RECORDED)),)),
    )

    assert [t["id_str"] for t in reply.body] == [t["id_str"] for t in RECORDED]
    assert [t["text"] for t in reply.body] == [t["text"] for t in RECORDED]
    assert [t["in_reply_to_status_id"] for t in reply.body] == [
        t["in_reply_to_status_id"] for t in RECORDED
    ]
    assert {t["user"]["screen_name"] for t in reply.body} == {"Twitter"}
    assert reply.headers == LIMITS


@pytest.mark.parametrize(
    ("legacy", "target"), [("Twitter", Target(screen_name="Twitter")), ("783214", None)]
)
def test_the_legacy_id_names_the_user_by_name_or_id(legacy, target):
    """v1's `id` took a screen name or a user id (tweepy 3's `user_timeline(id)`)."""
    lookups = ((lookup_call(target, with_status=False, cache=True),),) if target else ()
    found = V2Reply(200, {}, {"data": {"id": TWITTER, "username": "Twitter"}})
    rounds = [(calls, (found,)) for calls in lookups]

    reply = play(
        get("statuses/user_timeline.json", id=legacy),
        *rounds,
        ((page_call(USER_TWEETS, TWITTER, 20),), (V2Reply(200, LIMITS, {"meta": {}}),)),
    )

    assert reply.body == []


def test_a_count_over_one_v2_page_takes_several_one_after_the_other():
    first = v2_page(RECORDED[:10] * 10, next_token="next")  # 100 Tweets
    second = v2_page(RECORDED[10:] * 10, next_token="more")

    reply = play(
        get("statuses/user_timeline.json", count="150"),
        ((page_call(USER_TWEETS, ME.user_id, 100),), (V2Reply(200, LIMITS, first),)),
        (
            (page_call(USER_TWEETS, ME.user_id, 50, ("pagination_token", "next")),),
            (V2Reply(200, TIGHTER, second),),
        ),
    )

    assert len(reply.body) == 150  # the count, though v2 gave more
    assert reply.body[100]["id_str"] == RECORDED[10]["id_str"]
    assert reply.headers == TIGHTER  # the window that will refuse first


def test_a_v2_page_without_a_next_token_ends_the_timeline():
    """However far short of the count: v2 has nothing more."""
    reply = play(
        get("statuses/user_timeline.json", count="200"),
        (
            (page_call(USER_TWEETS, ME.user_id, 100),),
            (V2Reply(200, LIMITS, v2_page(RECORDED[:3])),),
        ),
    )

    assert len(reply.body) == 3


def test_a_count_below_v2s_least_asks_for_the_least_and_keeps_the_count():
    reply = play(
        get("statuses/mentions_timeline.json", count="2"),
        ((page_call(MENTIONS, ME.user_id, 5),), (V2Reply(200, LIMITS, v2_page(RECORDED[:5])),)),
    )

    assert [t["id_str"] for t in reply.body] == [t["id_str"] for t in RECORDED[:2]]


@pytest.mark.parametrize(
    ("params", "ids"),
    [
        # max_id is inclusive in v1.1, until_id exclusive in v2: one more.
        ({"max_id": "1341536025076764674"}, [("until_id", "1341536025076764675")]),
        ({"since_id": "20", "max_id": "99"}, [("since_id", "20"), ("until_id", "100")]),
        ({"max_id": str(2**63 - 1)}, []),  # above every id: nothing to leave out
        ({"max_id": "x", "since_id": "0"}, []),  # v1.1 ignored ids it could not read
    ],
)
def test_max_id_is_inclusive_and_since_id_exclusive(params, ids):
    reply = play(
        get("statuses/home_timeline.json", **params),
        ((page_call(HOME, ME.user_id, 20, *ids),), (V2Reply(200, LIMITS, {"meta": {}}),)),
    )

    assert reply.body == []


def test_no_id_above_since_id_and_at_most_max_id_asks_v2_nothing():
    steps = get("statuses/user_timeline.json", since_id="10", max_id="10")

    with pytest.raises(StopIteration) as done:
        next(steps)
    assert done.value.value.body == []


@pytest.mark.parametrize(
    ("path", "kind", "exclude"),
    [
        ("statuses/user_timeline.json", USER_TWEETS, [("exclude", "replies,retweets")]),
        ("statuses/home_timeline.json", HOME, [("exclude", "replies,retweets")]),
        ("statuses/mentions_timeline.json", MENTIONS, []),  # v1.1 took neither there
    ],
)
def test_replies_and_retweets_are_left_out_by_v2(path, kind, exclude):
    play(
        get(path, exclude_replies="true", include_rts="false"),
        ((page_call(kind, ME.user_id, 20, *exclude),), (V2Reply(200, LIMITS, {"meta": {}}),)),
    )


def test_home_and_mentions_are_the_callers_whoever_is_named():
    play(
        get("statuses/home_timeline.json", user_id=TWITTER),
        ((page_call(HOME, ME.user_id, 20),), (V2Reply(200, LIMITS, {"meta": {}}),)),
    )


def test_liked_tweets_page_by_token_so_ids_filter_what_was_fetched():
    """favorites/list: v2's liked Tweets take no ids, and at least 10 a page."""
    newest, middle, oldest = RECORDED[0], RECORDED[1], RECORDED[2]
    page = v2_page([middle, newest, oldest])  # liked in this order, not by id

    reply = play(
        get("favorites/list.json", user_id=TWITTER, count="5", max_id=middle["id_str"]),
        ((page_call(LIKED, TWITTER, 10),), (V2Reply(200, LIMITS, page),)),
    )

    assert [t["id_str"] for t in reply.body] == [middle["id_str"], oldest["id_str"]]


def test_a_user_who_is_not_there_is_34():
    missing = {"errors": [{"title": "Not Found Error", "detail": "Could not find user"}]}

    with pytest.raises(V11Error) as error:
        play(
            get("statuses/user_timeline.json", user_id="404"),
            ((page_call(USER_TWEETS, "404", 20),), (V2Reply(200, {}, missing),)),
        )
    assert (error.value.status, error.value.code) == (404, 34)


def test_a_protected_timeline_not_followed_is_v11s_not_authorized():
    hidden = {
        "errors": [
            {
                "title": "Authorization Error",
                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
            }
        ]
    }
    endpoint_path = "/1.1/favorites/list.json"
    (endpoint,) = [e for e in ENDPOINTS if e.path == endpoint_path]
    request = V11Request("GET", endpoint_path, (("user_id", TWITTER),))
    steps = run(endpoint, request, Known(ME))
    next(steps)
    with pytest.raises(StopIteration) as done:
        steps.send((V2Reply(200, {}, hidden),))

    error = done.value.value.error
    assert error.status == 401
    assert error.body() == {"request": endpoint_path, "error": "Not authorized."}


def test_the_recorded_timeline_from_v2_differs_only_where_the_docs_say():
    """Every field of the 20 real Tweets, rendered back from v2 data, with compare mode's
    own reading: what differs is a named difference of the row."""
    (endpoint,) = [e for e in ENDPOINTS if e.name == "statuses/user_timeline"]
    reply = play(
        get("statuses/user_timeline.json"),
        ((page_call(USER_TWEETS, ME.user_id, 20),), (V2Reply(200, LIMITS, v2_page(RECORDED)),)),
    )

    found = differences(endpoint.known, Outcome(200, RECORDED), Outcome(200, reply.body))

    assert [d for d in found if d.known is None] == []
    assert {d.known for d in found} >= {"tweet-mention-name", "no-v2-source"}
