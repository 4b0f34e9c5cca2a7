"""Which v1.1 error each kind of v2 answer becomes."""

import pytest

from mappings.errors import CODES, NOT_AUTHORIZED, NOT_ENROLLED, V11Error, raise_for_v2, tightest
from mappings.types import NO_ANSWER, V2Reply
from tests.fakes import ERRORS  # real v2 bodies from the reference

NOT_ENROLLED_BODY = ERRORS["client_not_enrolled"]
TIER_BODY = ERRORS["tier_without_access"]
SUSPENDED_CALLER = ERRORS["caller_suspended"]
MISSING = ERRORS["not_found_username"]
SUSPENDED = {
    "errors": [
        {
            "detail": "User has been suspended: [gone].",
            "title": "Forbidden",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
}
LIMITS = {"x-rate-limit-limit": "50", "x-rate-limit-remaining": "0", "x-rate-limit-reset": "99"}


@pytest.mark.parametrize(
    ("reply", "code", "status"),
    [
        (V2Reply(NO_ANSWER), 130, 503),
        (V2Reply(503, {}, None), 130, 503),
        (V2Reply(502, {}, {"title": "Bad Gateway"}), 130, 503),
        (V2Reply(504, {}, None), 130, 503),
        (V2Reply(500, {}, {"title": "Internal"}), 131, 500),
        (V2Reply(200, {}, None), 131, 500),
        (V2Reply(200, {}, ["not", "an", "object"]), 131, 500),
        (V2Reply(429, LIMITS, {"title": "Too Many Requests", "status": 429}), 88, 429),
        (V2Reply(401, {}, {"title": "Unauthorized", "status": 401}), 89, 401),
        (V2Reply(403, {}, NOT_ENROLLED_BODY), 87, 403),
        (V2Reply(403, {}, TIER_BODY), 453, 403),
        (V2Reply(403, {}, SUSPENDED_CALLER), 64, 403),
        (V2Reply(403, {}, {"title": "Forbidden", "status": 403, "detail": "Forbidden"}), 220, 403),
        (V2Reply(400, {}, {"title": "Invalid Request"}), 131, 500),
        (V2Reply(200, {}, MISSING), 50, 404),
        (V2Reply(200, {}, SUSPENDED), 63, 403),
    ],
)
def test_v2_failures_become_v11_errors(reply, code, status):
    with pytest.raises(V11Error) as error:
        raise_for_v2(reply)

    assert (code, status) == (error.value.code, error.value.status)


def test_a_success_raises_nothing():
    raise_for_v2(V2Reply(200, {}, {"data": {"muting": True}}))


def test_rate_limits_travel_with_the_429():
    with pytest.raises(V11Error) as error:
        raise_for_v2(V2Reply(429, {**LIMITS, "x-other": "1"}, {"title": "Too Many Requests"}))

    assert error.value.headers == LIMITS


def test_not_enrolled_tells_the_operator_what_to_do():
    with pytest.raises(V11Error) as error:
        raise_for_v2(V2Reply(403, {}, NOT_ENROLLED_BODY))

    assert error.value.message == NOT_ENROLLED
    assert "Project" in error.value.message
    assert "SHIM_CONSUMER_KEY" in error.value.message


@pytest.mark.parametrize("code", sorted(set(CODES) - {NOT_AUTHORIZED}))
def test_every_error_body_has_the_v11_shape(code):
    status, message = CODES[code]

    assert {"errors": [{"code": code, "message": message}]} == V11Error(code).body()
    assert status == V11Error(code).status


def test_not_authorized_has_v11s_older_shape_naming_the_request():
    """401 `{"request":"/1.1/friends/ids.json","error":"Not authorized."}` (twit's log of a
    protected user's friends/ids, 2021)."""
    error = V11Error(NOT_AUTHORIZED).at("/1.1/friends/ids.json")

    assert (error.status, error.body()) == (
        401,
        {"request": "/1.1/friends/ids.json", "error": "Not authorized."},
    )


def window(remaining: str, limit: str = "15") -> V2Reply:
    headers = {
        "x-rate-limit-limit": limit,
        "x-rate-limit-remaining": remaining,
        "x-rate-limit-reset": "9",
    }
    return V2Reply(200, headers, {})


def test_several_calls_answer_with_the_tightest_window():
    """A v1.1 call that took several v2 calls is limited by the one with the fewest left."""
    assert tightest([window("14"), window("3", "900"), window("7")]) == window("3", "900").headers
    assert (
        tightest([V2Reply(200, {"x-rate-limit-remaining": "x"}, {}), window("5")])
        == window("5").headers
    )
    assert tightest([V2Reply(200, {}, {})]) == {}
    assert tightest([]) == {}
