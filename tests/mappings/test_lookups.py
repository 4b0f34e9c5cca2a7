"""The reads (verify_credentials, users/show, users/lookup, friendships/lookup), driven by hand."""

from typing import Any

import pytest

from mappings import users as v2users
from mappings.callers import OWN_USER
from mappings.errors import V11Error
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from mappings.users import lookup_params
from tests.fakes import minimal_user, not_found, twitter_user
from tests.mappings.play import finish, play, translate

ME = Caller("1500000000000000001")
FIELDS = lookup_params(with_status=True)
TWITTER = twitter_user()["data"]


def by_ids(ids: str, fields: tuple[tuple[str, str], ...] = FIELDS) -> V2Call:
    return V2Call("GET", "/2/users", (("ids", ids), *fields), cache=True, access=v2users.BY_ID)


def by_names(names: str) -> V2Call:
    params = (("usernames", names), *FIELDS)
    return V2Call("GET", "/2/users/by", params, cache=True, access=v2users.BY_NAME)


def get(path: str, *params: tuple[str, str]) -> Any:
    return translate(V11Request("GET", f"/1.1/{path}.json", params), Known(ME))


def users(*found: dict[str, Any], missing: tuple[str, ...] = ()) -> V2Reply:
    body: dict[str, Any] = {"data": list(found)} if found else {}
    if missing:
        body["errors"] = [not_found("ids", m) for m in missing]
    return V2Reply(200, {"x-rate-limit-limit": "900"}, body)


def test_users_lookup_answers_in_the_order_asked_each_user_once():
    other = minimal_user("42", "other")["data"]
    reply = play(
        get("users/lookup", ("user_id", "42,999,783214"), ("screen_name", "twitter,OTHER")),
        (
            (by_ids("42,999,783214"), by_names("twitter,OTHER")),
            # v2 answers in its own order, with the miss in `errors`.
            (users(TWITTER, other, missing=("999",)), users(other, TWITTER)),
        ),
    )

    assert [user["id_str"] for user in reply.body] == ["42", "783214"]
    assert reply.headers == {"x-rate-limit-limit": "900"}


def test_users_lookup_that_finds_nobody_is_17():
    with pytest.raises(V11Error) as error:
        play(
            get("users/lookup", ("screen_name", "nobody")),
            (
                (by_names("nobody"),),
                (users(missing=("nobody",)),),
            ),
        )
    assert (error.value.status, error.value.code) == (404, 17)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ((("user_id", ",".join(str(n) for n in range(1, 102))),), 18),
        ((("user_id", "x,-1"), ("screen_name", "a b")), 17),
        ((), 17),
    ],
)
def test_users_lookup_refuses_without_a_call(params, code):
    with pytest.raises(V11Error) as error:
        finish(get("users/lookup", *params))
    assert error.value.code == code


def test_a_body_full_of_terms_is_refused_without_reading_them_all():
    """A 1 MiB form body holds some 150,000 names; checking each against all before it once
    made this quadratic, minutes of CPU on the event loop for one request."""
    names = ",".join(f"n{i}" for i in range(150_000))
    with pytest.raises(V11Error) as error:
        finish(get("users/lookup", ("screen_name", names)))
    assert error.value.code == 18


def test_friendships_lookup_maps_connection_status_to_v11_connections():
    pending = minimal_user("42", "pending")["data"] | {
        "connection_status": ["follow_request_sent", "follow_request_received", "blocking"]
    }
    stranger = minimal_user("43", "stranger")["data"] | {"connection_status": []}
    fields = (("user.fields", "connection_status"),)
    reply = play(
        get("friendships/lookup", ("user_id", "42,43")),
        (
            (by_ids("42,43", fields),),
            (users(pending, stranger),),
        ),
    )

    assert [(r["screen_name"], r["connections"]) for r in reply.body] == [
        ("pending", ["following_requested", "blocking"]),
        ("stranger", ["none"]),
    ]


def test_users_show_of_a_suspended_user_is_63():
    suspended = {"errors": [{"detail": "User has been suspended: [x].", "title": "Forbidden"}]}
    with pytest.raises(V11Error) as error:
        play(
            get("users/show", ("screen_name", "x")),
            (
                (
                    V2Call(
                        "GET", "/2/users/by/username/x", FIELDS, cache=True, access=v2users.BY_NAME
                    ),
                ),
                (V2Reply(200, {}, suspended),),
            ),
        )
    assert error.value.code == 63


@pytest.mark.parametrize(
    ("legacy", "call"),
    [
        ("783214", V2Call("GET", "/2/users/783214", FIELDS, cache=True, access=v2users.BY_ID)),
        (
            "Twitter",
            V2Call(
                "GET", "/2/users/by/username/Twitter", FIELDS, cache=True, access=v2users.BY_NAME
            ),
        ),
    ],
)
def test_users_show_takes_the_legacy_id(legacy, call):
    """tweepy 3.x's `get_user(id)`: all digits an id, otherwise a screen name."""
    assert next(get("users/show", ("id", legacy))) == (call,)


def test_verify_credentials_is_never_cached_and_skip_status_drops_the_status():
    reply = play(
        get("account/verify_credentials", ("skip_status", "true"), ("include_email", "true")),
        (
            (V2Call("GET", "/2/users/me", lookup_params(with_status=False), access=OWN_USER),),
            (V2Reply(200, {}, twitter_user()),),
        ),
    )

    assert "status" not in reply.body
    assert "email" not in reply.body
    assert list(reply.body)[-2:] == ["suspended", "needs_phone_verification"]
