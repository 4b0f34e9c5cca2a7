"""statuses/update and statuses/destroy/:id over POST and DELETE /2/tweets, answered as the real
recorded v1.1 answers (tests/data/reference/tweet_writes.json)."""

from typing import Any

import pytest

from mappings.errors import V11Error
from mappings.tweet_writes import TWEETING, read_call
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from tests.fakes import ERRORS, load, tweet_missing
from tests.mappings.play import play, translate
from tests.mappings.test_statuses import NO_V2_SOURCE, keys
from tests.v2_shapes import v2_answer

WRITES = load("reference/tweet_writes.json")
POSTED = WRITES["v11"]["update"]["body"]  # "testing 1000", by @TweepyDev
DELETED = WRITES["v11"]["destroy"]["body"]
CREATED = WRITES["v2"]["create"]  # v2's real 201 {"data":{"id","text"}}
AUTHOR = Caller(POSTED["user"]["id_str"])
LIMITS = {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899", "x-rate-limit-reset": "9"}


def post(path: str, caller: Caller = AUTHOR, **params: str) -> Any:
    request = V11Request("POST", f"/1.1/{path}", tuple(params.items()))
    return translate(request, Known(caller))


def create(body: dict[str, object]) -> V2Call:
    return V2Call("POST", "/2/tweets", json=body, access=TWEETING)


def created(tweet: dict[str, Any]) -> V2Reply:
    """v2's create answer for the Tweet: 201, its id and text, its real headers."""
    body = {"data": {"id": tweet["id_str"], "text": tweet["text"]}}
    return V2Reply(201, CREATED["headers"], body)


def test_update_posts_then_answers_the_tweet_read_back_as_v11_did():
    reply = play(
        post("statuses/update.json", status="testing 1000"),
        ((create({"text": "testing 1000"}),), (created(POSTED),)),
        ((read_call(POSTED["id_str"]),), (V2Reply(200, LIMITS, v2_answer(POSTED)),)),
    )

    assert keys(reply.body, NO_V2_SOURCE) == keys(POSTED, NO_V2_SOURCE)
    for key in ("id_str", "text", "created_at", "entities", "favorited", "retweeted"):
        assert reply.body[key] == POSTED[key], key
    assert reply.body["user"]["screen_name"] == POSTED["user"]["screen_name"]
    # The tightest of the two windows: the create's (199 left of 200).
    assert (reply.headers["x-rate-limit-limit"], reply.headers["x-rate-limit-remaining"]) == (
        "200",
        "199",
    )


def test_update_trims_the_user_and_goes_extended_when_asked():
    reply = play(
        post("statuses/update.json", status="testing 1000", trim_user="t", tweet_mode="extended"),
        ((create({"text": "testing 1000"}),), (created(POSTED),)),
        ((read_call(POSTED["id_str"]),), (V2Reply(200, {}, v2_answer(POSTED)),)),
    )

    assert reply.body["user"] == {"id": POSTED["user"]["id"], "id_str": POSTED["user"]["id_str"]}
    assert reply.body["full_text"] == POSTED["text"]
    assert "text" not in reply.body


def test_v2s_real_create_answer_is_what_the_flow_reads():
    """The recorded v2 answer itself (tweepy, 2021), not one made up here."""
    reply = play(
        post("statuses/update.json", status="Test Tweet"),
        ((create({"text": "Test Tweet"}),), (V2Reply(201, {}, CREATED["body"]),)),
        ((read_call(CREATED["body"]["data"]["id"]),), (V2Reply(200, {}, {"errors": []}),)),
    )

    assert reply.body["id_str"] == CREATED["body"]["data"]["id"]


def test_a_tweet_not_read_back_is_answered_as_far_as_it_is_known():
    """The Tweet is posted: a read that finds nothing yet must not turn it into an error
    (a bot would post it again). Its time is the one its id carries."""
    reply = play(
        post("statuses/update.json", status="testing 1000"),
        ((create({"text": "testing 1000"}),), (created(POSTED),)),
        ((read_call(POSTED["id_str"]),), (V2Reply(200, {}, {"errors": [tweet_missing("1")]}),)),
    )

    assert reply.body["created_at"] == POSTED["created_at"]
    assert reply.body["text"] == POSTED["text"]
    assert reply.body["user"] == {"id": POSTED["user"]["id"], "id_str": POSTED["user"]["id_str"]}


def test_v11s_parameters_become_v2s_body():
    quoted = "https://twitter.com/Twitter/status/20"
    steps = post(
        "statuses/update.json",
        status="@Twitter hi",
        in_reply_to_status_id="21",
        auto_populate_reply_metadata="true",
        exclude_reply_user_ids="783214, x",
        attachment_url=quoted,
        media_ids="710511363345354753,710511363345354754",
        place_id="df51dec6f4ee2b2c",
        lat="37.7821120598956",
        long="-122.400612831116",
        display_coordinates="true",
    )

    (call,) = next(steps)

    assert call == create(
        {
            "text": "@Twitter hi",
            "quote_tweet_id": "20",
            "media": {"media_ids": ["710511363345354753", "710511363345354754"]},
            "reply": {"in_reply_to_tweet_id": "21", "exclude_reply_user_ids": ["783214"]},
            "geo": {"place_id": "df51dec6f4ee2b2c"},
        }
    )
    assert not call.idempotent  # posting again posts again


def test_media_alone_needs_no_text_and_a_dm_link_is_v2s_deep_link():
    link = "https://twitter.com/messages/compose?recipient_id=783214"
    (media,) = next(post("statuses/update.json", media_ids="710511363345354753"))
    (deep,) = next(post("statuses/update.json", status="ask us", attachment_url=link))

    assert media.json == {"media": {"media_ids": ["710511363345354753"]}}
    assert deep.json == {"text": "ask us", "direct_message_deep_link": link}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 403, 170),
        ({"status": ""}, 403, 170),
        ({"status": "hi", "attachment_url": "https://example.com/"}, 400, 44),
        ({"status": "hi", "media_ids": "1,2,3,4,5"}, 400, 324),
        ({"status": "hi", "media_ids": "1,abc"}, 400, 324),
        ({"status": "hi", "in_reply_to_status_id": "abc"}, 403, 385),
    ],
)
def test_update_refuses_what_v11_refused_before_any_call(params, status, code):
    with pytest.raises(V11Error) as error:
        next(post("statuses/update.json", **params))

    assert (error.value.status, error.value.code) == (status, code)


DUPLICATE = {  # akrherz/iembot issue 163 (2026): v2's own words
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}
TOO_LONG = {  # gundogan8/FotBot issue 22 (2023): tweepy's BadRequest, a 400
    "errors": [
        {
            "message": "Your Tweet text is too long. For more information on how Twitter "
            "determines text length see https://github.com/twitter/twitter-text."
        }
    ],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        (V2Reply(403, {}, DUPLICATE), 403, 187),
        (V2Reply(400, {}, TOO_LONG), 403, 186),
        (V2Reply(403, {}, {"detail": "a Tweet that is deleted or not visible"}), 403, 385),
        (V2Reply(429, {}, ERRORS["too_many_requests"]), 429, 88),
        (V2Reply(403, {}, ERRORS["forbidden"]), 403, 220),
        (V2Reply(400, {}, {"title": "Invalid Request"}), 500, 131),
    ],
)
def test_v2s_refusals_of_a_tweet_are_v11s(reply, status, code):
    with pytest.raises(V11Error) as error:
        play(post("statuses/update.json", status="hi"), ((create({"text": "hi"}),), (reply,)))

    assert (error.value.status, error.value.code) == (status, code)


def delete(tweet_id: str) -> V2Call:
    return V2Call("DELETE", f"/2/tweets/{tweet_id}", access=TWEETING)


def test_destroy_reads_the_tweet_then_deletes_it_and_answers_it():
    gone = WRITES["v2"]["delete"]
    reply = play(
        post("statuses/destroy/{id}.json", id=DELETED["id_str"]),
        ((read_call(DELETED["id_str"]),), (V2Reply(200, LIMITS, v2_answer(DELETED)),)),
        ((delete(DELETED["id_str"]),), (V2Reply(200, gone["headers"], gone["body"]),)),
    )

    assert keys(reply.body, NO_V2_SOURCE) == keys(DELETED, NO_V2_SOURCE)
    assert reply.body["id_str"] == DELETED["id_str"]
    assert reply.headers["x-rate-limit-remaining"] == "49"  # of 50: the tighter window


def test_destroy_of_another_users_tweet_is_183_and_deletes_nothing():
    with pytest.raises(V11Error) as error:
        play(
            post("statuses/destroy/{id}.json", Caller("783214"), id=DELETED["id_str"]),
            ((read_call(DELETED["id_str"]),), (V2Reply(200, {}, v2_answer(DELETED)),)),
        )

    assert (error.value.status, error.value.code) == (403, 183)
    assert error.value.message == "You may not delete another user's status."


def test_destroy_of_a_tweet_not_there_is_144():
    with pytest.raises(V11Error) as error:
        play(
            post("statuses/destroy/{id}.json", id="404"),
            ((read_call("404"),), (V2Reply(200, {}, {"errors": [tweet_missing("404")]}),)),
        )

    assert (error.value.status, error.value.code) == (404, 144)
