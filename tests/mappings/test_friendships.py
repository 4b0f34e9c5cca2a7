"""Follow, unfollow and friendships/show, driven by hand with v2 replies as plain data."""

from copy import deepcopy
from typing import Any

import pytest

from mappings import ENDPOINTS
from mappings import users as v2users
from mappings.callers import OWN_USER
from mappings.compare import Outcome, differences
from mappings.errors import V11Error
from mappings.friendships import FOLLOWING, RELATION_FIELDS, relationship
from mappings.types import Caller, Known, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params
from tests.fakes import ERRORS, load, minimal_user, twitter_user
from tests.mappings.play import play, translate

ME = Caller("1500000000000000001")
LOOKUP = lookup_params(with_status=True)
LIMITS = {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "49", "x-rate-limit-reset": "1"}
# Real v2 answers (tweepy's test_client_follow_and_unfollow_user recording).
RECORDED = load("reference/test_client_follow_and_unfollow_user.decoded.json")["interactions"]
FOLLOWED = V2Reply(200, LIMITS, RECORDED[0]["response"]["body"])
UNFOLLOWED = V2Reply(200, LIMITS, RECORDED[1]["response"]["body"])
PENDING = V2Reply(200, LIMITS, {"data": {"following": False, "pending_follow": True}})
# v1.1's friendships/show as recorded (tweepy, 2019): @TweepyDev and @Twitter, no relationship.
SHOWN = load("reference/testgetfriendship.decoded.json")["interactions"][0]["response"]["body"]

FOLLOW = V2Call(
    "POST",
    f"/2/users/{ME.user_id}/following",
    json={"target_user_id": "783214"},
    repeatable=True,
    access=FOLLOWING.access,
)
UNFOLLOW = V2Call("DELETE", f"/2/users/{ME.user_id}/following/783214", access=FOLLOWING.access)
BY_ID = V2Call("GET", "/2/users/783214", LOOKUP, cache=True, access=v2users.BY_ID)
BY_NAME = V2Call("GET", "/2/users/by/username/Twitter", LOOKUP, cache=True, access=v2users.BY_NAME)
FOUND = V2Reply(200, {}, twitter_user())  # connection_status: following


def request(path: str, **params: str) -> V11Request:
    method = "GET" if path == "show" else "POST"
    return V11Request(method, f"/1.1/friendships/{path}.json", tuple(params.items()))


def body(reply: V11Reply) -> dict[str, Any]:
    assert isinstance(reply.body, dict)
    return reply.body


def refused(steps: Any, *rounds: Any) -> V11Error:
    with pytest.raises(V11Error) as error:
        play(steps, *rounds) if rounds else next(steps)
    return error.value


def me_found(username: str = "me") -> V2Reply:
    return V2Reply(200, {}, minimal_user(ME.user_id, username))


def not_found(detail: str) -> V2Reply:
    return V2Reply(200, {}, {"errors": [{"detail": detail, "title": "Not Found Error"}]})


def muted_user() -> V2Reply:
    user = twitter_user()
    user["data"]["connection_status"] = ["muting"]
    return V2Reply(200, {}, user)


# friendships/create


def test_a_follow_by_id_sends_the_follow_and_the_lookup_in_one_batch():
    reply = play(
        translate(request("create", user_id="783214"), Known(ME)),
        ((FOLLOW, BY_ID), (FOLLOWED, muted_user())),
    )

    user = body(reply)
    assert (user["id"], user["following"], user["follow_request_sent"]) == (783214, True, False)
    # v1.1's follow answers carried `muting` (2021 recording), from connection_status here.
    assert user["muting"] is True
    keys = list(user)
    assert keys.index("follow_request_sent") < keys.index("muting") < keys.index("translator_type")
    assert reply.headers == LIMITS


def test_a_protected_accounts_follow_is_a_request_sent():
    reply = play(
        translate(request("create", user_id="783214"), Known(ME)),
        ((FOLLOW, BY_ID), (PENDING, FOUND)),
    )

    assert (body(reply)["following"], body(reply)["follow_request_sent"]) == (False, True)


def test_a_follow_by_screen_name_looks_the_id_up_first():
    reply = play(
        translate(request("create", screen_name="Twitter", follow="true"), Known(ME)),
        ((BY_NAME,), (FOUND,)),
        ((FOLLOW,), (FOLLOWED,)),
    )

    assert body(reply)["screen_name"] == "Twitter"
    assert body(reply)["notifications"] is False  # `follow` has no v2 equivalent


def test_following_yourself_is_158_without_a_call():
    error = refused(translate(request("create", user_id=ME.user_id), Known(ME)))

    assert (error.status, error.code, error.message) == (403, 158, "You can't follow yourself.")


def test_following_yourself_by_screen_name_stops_after_the_lookup():
    lookup = V2Call("GET", "/2/users/by/username/me", LOOKUP, cache=True, access=v2users.BY_NAME)

    error = refused(
        translate(request("create", screen_name="me"), Known(ME)), ((lookup,), (me_found(),))
    )

    assert error.code == 158


LIMIT = "follow more people at this time."


@pytest.mark.parametrize(
    ("refusal", "code"),
    [
        # v1.1's words for the follow limit, wherever v2 puts them: 161.
        ({"title": "Forbidden", "detail": f"You are unable to {LIMIT}"}, 161),
        ({"errors": [{"message": f"You are unable to {LIMIT}"}]}, 161),
        # Any other 403 is missing access, as for every write.
        (ERRORS["forbidden"], 220),
    ],
)
def test_a_refused_follow(refusal: dict[str, Any], code: int):
    error = refused(
        translate(request("create", user_id="783214"), Known(ME)),
        ((FOLLOW, BY_ID), (V2Reply(403, {}, refusal), FOUND)),
    )

    assert (error.status, error.code) == (403, code)


def test_a_rate_limited_follow_is_88_with_the_limits():
    limited = V2Reply(429, LIMITS, {"title": "Too Many Requests", "status": 429})

    error = refused(
        translate(request("create", user_id="783214"), Known(ME)),
        ((FOLLOW, BY_ID), (limited, FOUND)),
    )

    assert (error.code, error.status, error.headers) == (88, 429, LIMITS)


@pytest.mark.parametrize(
    ("detail", "code"),
    [
        ("Could not find user with id: [783214].", 108),
        ("User has been suspended: [783214].", 63),
    ],
)
@pytest.mark.parametrize("path", ["create", "destroy"])
def test_an_unknown_or_suspended_user_outranks_the_change(path: str, detail: str, code: int):
    change = FOLLOW if path == "create" else UNFOLLOW
    answer = FOLLOWED if path == "create" else UNFOLLOWED

    error = refused(
        translate(request(path, user_id="783214"), Known(ME)),
        ((change, BY_ID), (answer, not_found(detail))),
    )

    assert (error.status, error.code) == (403, code)


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, 38), ({"user_id": "12ab"}, 108), ({"screen_name": "has space"}, 108)],
)
@pytest.mark.parametrize("path", ["create", "destroy"])
def test_bad_parameters_fail_before_any_call(path: str, params: dict[str, str], code: int):
    error = refused(translate(request(path, **params), Known()))

    assert error.code == code


# friendships/destroy


@pytest.mark.parametrize("was", [FOUND, muted_user()], ids=["followed", "not-followed"])
def test_an_unfollow_by_id_is_the_delete_and_the_lookup_in_one_batch(was: V2Reply):
    """Unfollowing a user you do not follow is no error in v1.1: the same answer."""
    reply = play(
        translate(request("destroy", user_id="783214"), Known(ME)),
        ((UNFOLLOW, BY_ID), (UNFOLLOWED, was)),
    )

    assert reply.status == 200
    assert (body(reply)["id"], body(reply)["following"]) == (783214, False)
    assert reply.headers == LIMITS


def test_an_unfollow_by_screen_name_looks_the_id_up_first():
    reply = play(
        translate(request("destroy", screen_name="Twitter"), Known(ME)),
        ((BY_NAME,), (FOUND,)),
        ((UNFOLLOW,), (UNFOLLOWED,)),
    )

    assert body(reply)["following"] is False


@pytest.mark.parametrize(
    ("target", "lookup"),
    [
        ({"user_id": ME.user_id}, f"/2/users/{ME.user_id}"),
        ({"screen_name": "me"}, "/2/users/by/username/me"),
    ],
)
def test_unfollowing_yourself_answers_your_own_object_without_a_delete(
    target: dict[str, str], lookup: str
):
    access = v2users.BY_ID if "user_id" in target else v2users.BY_NAME
    call = V2Call("GET", lookup, LOOKUP, cache=True, access=access)
    found = V2Reply(200, {"x-rate-limit-limit": "300"}, minimal_user(ME.user_id, "me"))

    reply = play(translate(request("destroy", **target), Known(ME)), ((call,), (found,)))

    assert (body(reply)["id_str"], body(reply)["following"]) == (ME.user_id, False)
    assert reply.headers == {"x-rate-limit-limit": "300"}


def test_every_call_the_follow_flows_make_is_safe_to_retry():
    assert FOLLOW.idempotent
    assert UNFOLLOW.idempotent


# friendships/show

TARGET_BY_NAME = V2Call(
    "GET", "/2/users/by/username/twitter", RELATION_FIELDS, access=v2users.BY_NAME
)
TARGET_BY_ID = V2Call("GET", "/2/users/783214", RELATION_FIELDS, access=v2users.BY_ID)
OWN = V2Call("GET", "/2/users/me", cache=True, access=OWN_USER)


def target(*links: str) -> V2Reply:
    user = minimal_user("783214", "Twitter")
    user["data"]["connection_status"] = list(links)
    return V2Reply(200, {"x-rate-limit-limit": "300"}, user)


def test_the_relationship_has_the_recordings_keys_order_and_values():
    """@TweepyDev and @Twitter with no relationship, as v2 would say it: the recording itself."""
    tweepydev = {"id": "1072250532645998596", "username": "TweepyDev"}
    twitter = {"id": "783214", "username": "Twitter", "connection_status": []}

    assert relationship(tweepydev, twitter) == SHOWN
    assert list(relationship(tweepydev, twitter)["relationship"]["source"]) == list(
        SHOWN["relationship"]["source"]
    )


def test_show_looks_the_target_up_uncached_beside_the_callers_own_user():
    reply = play(
        translate(request("show", target_screen_name="twitter"), Known(ME)),
        ((TARGET_BY_NAME, OWN), (target("following", "muting"), me_found())),
    )

    source = body(reply)["relationship"]["source"]
    assert (source["id_str"], source["screen_name"]) == (ME.user_id, "me")
    assert (source["following"], source["muting"], source["want_retweets"]) == (True, True, True)
    assert (source["followed_by"], source["can_dm"], source["blocked_by"]) == (False, False, False)
    assert body(reply)["relationship"]["target"]["followed_by"] is True
    assert reply.headers == {"x-rate-limit-limit": "300"}


def test_requests_and_followers_are_mirrored_on_the_target():
    reply = play(
        translate(request("show", target_id="783214", source_id=ME.user_id), Known(ME)),
        ((TARGET_BY_ID, OWN), (target("followed_by", "follow_request_sent"), me_found())),
    )

    source, them = body(reply)["relationship"]["source"], body(reply)["relationship"]["target"]
    assert (source["following_requested"], source["can_dm"]) == (True, True)
    assert (them["following"], them["following_received"]) == (True, True)
    assert (them["followed_by"], them["following_requested"]) == (False, False)


def test_a_source_id_that_is_not_the_caller_is_163_without_a_call():
    error = refused(translate(request("show", target_id="783214", source_id="12"), Known(ME)))

    assert (error.status, error.code) == (403, 163)
    assert "only the authenticating user's relationships" in error.message


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (me_found("me"), None),
        (V2Reply(200, {}, minimal_user("12", "someone")), 163),
        (not_found("Could not find user with username: [someone]."), 163),
    ],
    ids=["the-caller", "someone-else", "unknown"],
)
def test_a_source_screen_name_is_looked_up_to_tell_whether_it_is_the_caller(
    source: V2Reply, code: int | None
):
    lookup = V2Call("GET", "/2/users/by/username/someone", cache=True, access=v2users.BY_NAME)
    steps = translate(request("show", target_id="783214", source_screen_name="someone"), Known(ME))
    rounds = ((TARGET_BY_ID, lookup), (target(), source))
    if code is None:
        assert play(steps, rounds).status == 200
    else:
        assert refused(steps, rounds).code == code


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({}, 38, "target_id or target_screen_name parameter is missing."),
        ({"source_id": ME.user_id}, 38, "target_id or target_screen_name parameter is missing."),
        ({"target_id": "x"}, 50, "User not found."),
        ({"target_id": "783214", "source_id": "x"}, 163, "Could not determine source user."),
    ],
)
def test_show_refuses_bad_parameters_before_any_call(params, code: int, message: str):
    """Even before identifying the caller: Known() has none."""
    error = refused(translate(request("show", **params), Known()))

    assert (error.code, error.message) == (code, message)


def test_an_unknown_target_is_50():
    error = refused(
        translate(request("show", target_id="783214"), Known(ME)),
        ((TARGET_BY_ID, OWN), (not_found("Could not find user with id: [783214]."), me_found())),
    )

    assert (error.status, error.code) == (404, 50)


# Compare mode: what may differ from v1.1's own answers, named.


def known(name: str) -> frozenset[str]:
    return next(endpoint for endpoint in ENDPOINTS if endpoint.name == name).known


def test_settings_v2_cannot_see_are_known_differences_of_show():
    ours = relationship(
        {"id": "1072250532645998596", "username": "TweepyDev"},
        {"id": "783214", "username": "Twitter", "connection_status": ["followed_by"]},
    )
    theirs = deepcopy(ours)
    theirs["relationship"]["source"] |= {"can_dm": False, "notifications_enabled": True}
    theirs["relationship"]["target"]["following"] = False  # a real difference

    found = {d.field: d.known for d in differences(known("friendships/show"), ok(theirs), ok(ours))}

    assert found == {
        "relationship.source.notifications_enabled": "relationship-no-v2-source",
        "relationship.source.can_dm": "relationship-no-v2-source",
        "relationship.target.following": None,
    }


def test_a_follow_compared_twice_on_a_protected_account_is_known():
    """The version called second meets the request the first sent: v1.1 answers 160."""
    already = {"errors": [{"code": 160, "message": "You've already requested to follow user."}]}
    user = {"id": 783214, "following": False, "follow_request_sent": True}

    for v1, v2 in ((Outcome(403, already), ok(user)), (ok(user), Outcome(403, already))):
        found = differences(known("friendships/create"), v1, v2)
        assert {d.known for d in found} == {"follow-request-compared-twice"}


def test_following_state_is_a_known_difference_of_a_follow():
    found = differences(
        known("friendships/create"), ok({"following": False}), ok({"following": True})
    )

    assert [d.known for d in found] == ["following-state"]


def ok(body: object) -> Outcome:
    return Outcome(200, body)
