"""The mute and unmute flows, driven by hand with v2 replies as plain data."""

from typing import Any

import pytest

from mappings import users as v2users
from mappings.callers import OWN_USER
from mappings.errors import V11Error
from mappings.mutes import MUTING
from mappings.types import Access, Caller, Known, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params
from tests.fakes import ERRORS, twitter_user
from tests.mappings.play import play, translate

ME = Caller("1500000000000000001")
LOOKUP = lookup_params(with_status=True)
LIMITS = {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "48", "x-rate-limit-reset": "1"}
NOT_FOUND = {
    "errors": [
        {
            "detail": "Could not find user with id: [9].",
            "title": "Not Found Error",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
}


def request(path: str, **params: str) -> V11Request:
    return V11Request("POST", f"/1.1/mutes/users/{path}.json", tuple(params.items()))


def body(reply: V11Reply) -> dict[str, Any]:
    assert isinstance(reply.body, dict)
    return reply.body


def muted(value: bool = True) -> V2Reply:
    return V2Reply(200, LIMITS, {"data": {"muting": value}})


FOUND = V2Reply(200, {}, twitter_user())
MUTE = V2Call(
    "POST",
    f"/2/users/{ME.user_id}/muting",
    json={"target_user_id": "783214"},
    repeatable=True,
    access=MUTING.access,
)
UNMUTE = V2Call("DELETE", f"/2/users/{ME.user_id}/muting/783214", access=MUTING.access)
BY_ID = V2Call("GET", "/2/users/783214", LOOKUP, cache=True, access=v2users.BY_ID)
BY_NAME = V2Call("GET", "/2/users/by/username/Twitter", LOOKUP, cache=True, access=v2users.BY_NAME)


def test_mute_by_id_sends_the_change_and_the_lookup_in_one_batch():
    """With a user_id the two calls are independent, so they form one concurrent batch."""
    reply = play(
        translate(request("create", user_id="783214"), Known(ME)),
        ((MUTE, BY_ID), (muted(), FOUND)),
    )

    assert isinstance(reply, V11Reply)
    assert reply.status == 200
    assert body(reply)["id"] == 783214
    assert body(reply)["muting"] is True
    assert reply.headers == LIMITS


def test_mute_by_screen_name_looks_the_id_up_first():
    """v2 needs the target's id, so a screen_name costs a lookup round before the change."""
    reply = play(
        translate(request("create", screen_name="Twitter"), Known(ME)),
        ((BY_NAME,), (FOUND,)),
        ((MUTE,), (muted(),)),
    )

    assert body(reply)["screen_name"] == "Twitter"


def muting_user() -> V2Reply:
    """@Twitter as looked up by a caller who mutes it: `muting` among connection_status."""
    user = twitter_user()
    user["data"]["connection_status"] = ["following", "muting"]
    return V2Reply(200, {}, user)


FRESH_BY_ID = V2Call(
    "GET", "/2/users/783214", LOOKUP, access=v2users.BY_ID
)  # uncached: it decides 272
FRESH_BY_NAME = V2Call("GET", "/2/users/by/username/Twitter", LOOKUP, access=v2users.BY_NAME)


def test_unmute_checks_the_relationship_then_deletes_and_reports_what_v2_says():
    """The v1.1 object's `muting` is v2's answer, not an assumption."""
    reply = play(
        translate(request("destroy", user_id="783214"), Known(ME)),
        ((FRESH_BY_ID,), (muting_user(),)),
        ((UNMUTE,), (muted(False),)),
    )

    assert body(reply)["muting"] is False
    assert body(reply)["id"] == 783214


@pytest.mark.parametrize(
    ("target", "lookup"),
    [({"user_id": "783214"}, FRESH_BY_ID), ({"screen_name": "Twitter"}, FRESH_BY_NAME)],
)
def test_unmuting_a_user_not_muted_is_272_without_a_delete(target: dict[str, str], lookup: V2Call):
    """v2's DELETE answers muting: false either way; v1.1 said 272, and apps rely on it."""
    flow = translate(request("destroy", **target), Known(ME))
    assert next(flow) == (lookup,)

    with pytest.raises(V11Error) as error:
        flow.send((FOUND,))  # connection_status: following, not muting

    assert (error.value.status, error.value.code) == (403, 272)


def test_user_id_wins_over_screen_name():
    reply = play(
        translate(request("create", user_id="783214", screen_name="nobody"), Known(ME)),
        ((MUTE, BY_ID), (muted(), FOUND)),
    )

    assert body(reply)["id"] == 783214


def test_the_legacy_id_names_a_user_by_id_when_all_digits():
    """tweepy 3.x's `create_mute(id)` sends `id`, which v1 read as an id or a screen name."""
    reply = play(
        translate(request("create", id="783214"), Known(ME)),
        ((MUTE, BY_ID), (muted(), FOUND)),
    )

    assert body(reply)["id"] == 783214


def test_the_legacy_id_names_a_user_by_screen_name_otherwise():
    reply = play(
        translate(request("create", id="Twitter"), Known(ME)),
        ((BY_NAME,), (FOUND,)),
        ((MUTE,), (muted(),)),
    )

    assert body(reply)["screen_name"] == "Twitter"


def test_the_legacy_id_given_twice_with_two_values_is_refused():
    twice = V11Request("POST", "/1.1/mutes/users/create.json", (("id", "1"), ("id", "2")))

    with pytest.raises(V11Error) as error:
        next(translate(twice, Known(ME)))

    assert error.value.code == 195


@pytest.mark.parametrize(
    "params", [{"user_id": "783214", "id": "nobody"}, {"screen_name": "Twitter", "id": "9"}]
)
def test_user_id_and_screen_name_win_over_the_legacy_id(params):
    """As v1.1's own `user_id` wins over `screen_name`: the explicit names first."""
    calls = (MUTE, BY_ID) if "user_id" in params else (BY_NAME,)
    flow = translate(request("create", **params), Known(ME))

    assert next(flow) == calls


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 38),
        ({"id": ""}, 108),
        ({"id": "1" * 20}, 108),
        ({"id": "1" * 5000}, 108),
        ({"id": "has space"}, 108),
        ({"id": "²"}, 108),
        ({"junk": "1"}, 38),
        ({"user_id": ""}, 108),
        ({"user_id": "12ab"}, 108),
        ({"user_id": "1" * 20}, 108),
        ({"user_id": "-5"}, 108),
        ({"screen_name": "has space"}, 108),
        ({"screen_name": "x" * 16}, 108),
        ({"screen_name": "émile"}, 108),
        ({"screen_name": ""}, 108),
    ],
)
def test_bad_parameters_fail_before_any_call(params, code):
    """Bad input is refused before the flow yields anything, even before identifying the caller."""
    flow = translate(request("create", **params), Known())

    with pytest.raises(V11Error) as error:
        next(flow)

    assert code == error.value.code


def test_muting_yourself_is_refused_without_a_call():
    flow = translate(request("create", user_id=ME.user_id), Known(ME))

    with pytest.raises(V11Error) as error:
        next(flow)

    assert (error.value.code, error.value.status) == (271, 403)


def test_unmuting_yourself_is_not_muting_the_user():
    flow = translate(request("destroy", user_id=ME.user_id), Known(ME))

    with pytest.raises(V11Error) as error:
        next(flow)

    assert error.value.code == 272


def test_muting_yourself_by_screen_name_stops_after_the_lookup():
    me = {
        "data": {
            "id": ME.user_id,
            "name": "Me",
            "username": "me",
            "created_at": "2020-01-01T00:00:00.000Z",
        }
    }
    flow = translate(request("create", screen_name="me"), Known(ME))
    assert next(flow) == (
        V2Call("GET", "/2/users/by/username/me", LOOKUP, cache=True, access=v2users.BY_NAME),
    )

    with pytest.raises(V11Error) as error:
        flow.send((V2Reply(200, {}, me),))

    assert error.value.code == 271


def test_a_token_without_an_id_is_identified_after_the_parameters_are_checked():
    """The caller comes from /2/users/me only once the request's own parameters are known good."""
    me = V2Reply(200, {}, {"data": {"id": ME.user_id, "name": "Me", "username": "me"}})
    reply = play(
        translate(request("create", user_id="783214"), Known()),
        ((V2Call("GET", "/2/users/me", access=OWN_USER),), (me,)),
        ((MUTE, BY_ID), (muted(), FOUND)),
    )

    assert reply.status == 200


def test_a_missing_user_outranks_the_failed_change():
    """When the target does not exist, that is the answer (a write's: "Cannot find specified
    user."), whatever the change answered."""
    flow = translate(request("create", user_id="783214"), Known(ME))
    next(flow)

    with pytest.raises(V11Error) as error:
        flow.send((V2Reply(400, {}, {"title": "Invalid Request"}), V2Reply(200, {}, NOT_FOUND)))

    assert (error.value.code, error.value.status) == (108, 403)


def test_a_rate_limited_change_passes_the_limits_on():
    limited = V2Reply(429, LIMITS, {"title": "Too Many Requests", "status": 429})
    flow = translate(request("create", user_id="783214"), Known(ME))
    next(flow)

    with pytest.raises(V11Error) as error:
        flow.send((limited, FOUND))

    assert (error.value.code, error.value.status, error.value.headers) == (88, 429, LIMITS)


def test_a_change_without_a_muting_flag_is_an_internal_error():
    flow = translate(request("create", user_id="783214"), Known(ME))
    next(flow)

    with pytest.raises(V11Error) as error:
        flow.send((V2Reply(200, {}, {"data": {}}), FOUND))

    assert error.value.code == 131


def test_skip_status_and_include_entities_shape_the_answer():
    """python-twitter sends these to mutes/users/create; v1.1 honoured them."""
    lookup = V2Call(
        "GET", "/2/users/783214", lookup_params(with_status=False), cache=True, access=v2users.BY_ID
    )
    reply = play(
        translate(
            request("create", user_id="783214", skip_status="true", include_entities="false"),
            Known(ME),
        ),
        ((MUTE, lookup), (muted(), FOUND)),
    )

    assert "status" not in body(reply)
    assert "entities" not in body(reply)


def test_every_call_the_mute_flows_make_is_safe_to_retry():
    """The shell retries only idempotent calls; mute's POST is one (muting twice is muting)."""
    assert MUTE.idempotent
    assert UNMUTE.idempotent
    assert BY_ID.idempotent
    assert not V2Call("POST", "/2/tweets", access=Access("tweeting", write=True)).idempotent


TIER = V2Reply(403, {}, ERRORS["tier_without_access"])


@pytest.mark.parametrize(
    ("rounds", "missing"),
    [
        # The Free tier: no lookup by username, so a screen_name cannot be resolved.
        ([((BY_NAME,), (TIER,))], "user lookup by username"),
        # By user_id, the mute itself refused, the user lookup beside it allowed.
        ([((MUTE, BY_ID), (TIER, FOUND))], "muting"),
    ],
)
def test_a_tier_refusal_names_the_missing_access_and_the_fix(rounds, missing):
    target = {"screen_name": "Twitter"} if len(rounds[0][0]) == 1 else {"user_id": "783214"}
    with pytest.raises(V11Error) as refused:
        play(translate(request("create", **target), Known(ME)), *rounds)

    assert (refused.value.code, refused.value.status) == (453, 403)
    assert f"do not include {missing}" in refused.value.message
    assert "mutes/users/create" in refused.value.message
    assert "access level" in refused.value.message
    assert "route mutes/users/create to v1" in refused.value.message
