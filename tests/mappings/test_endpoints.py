"""The endpoint table: every row well formed, and `run` giving the shell only data back."""

import pytest

from mappings import ENDPOINTS
from mappings.callers import OWN_USER
from mappings.compare import KNOWN
from mappings.endpoints import ID, Done, reusable, run
from mappings.errors import CODES, V11Error
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from mappings.users import BY_ID, lookup_params
from tests.fakes import twitter_user
from tests.mappings.play import finish, play

SHOW = next(e for e in ENDPOINTS if e.name == "users/show")


def test_names_are_the_paths_the_routing_file_uses():
    names = [endpoint.name for endpoint in ENDPOINTS]
    assert "mutes/users/create" in names
    assert "friendships/lookup" in names
    assert len(set(names)) == len(names)
    for endpoint in ENDPOINTS:
        assert endpoint.path == f"/1.1/{endpoint.name}.json".replace(":id", ID)


def test_every_row_names_known_differences_and_codes_that_exist():
    for endpoint in ENDPOINTS:
        assert endpoint.known <= set(KNOWN), endpoint.name
        assert set(endpoint.errors) <= set(CODES), endpoint.name
        assert set(endpoint.methods) <= {"GET", "POST"}


def test_bad_input_ends_before_any_call_even_to_identify_the_caller():
    done = finish(run(SHOW, V11Request("GET", SHOW.path, (("user_id", "x"),)), Known()))

    assert done == Done(error=done.error)
    assert isinstance(done.error, V11Error)
    assert done.error.code == 50


def test_the_caller_learned_and_the_lookups_to_keep_come_back_as_data():
    request = V11Request("GET", SHOW.path, (("user_id", "783214"),))
    me = V2Reply(200, {}, {"data": {"id": "1500000000000000001", "username": "me"}})
    lookup = V2Call(
        "GET", "/2/users/783214", lookup_params(with_status=True), cache=True, access=BY_ID
    )
    found = V2Reply(200, {}, twitter_user())

    done = play(
        run(SHOW, request, Known()),
        ((V2Call("GET", "/2/users/me", access=OWN_USER),), (me,)),
        ((lookup,), (found,)),
    )

    assert done.caller == Caller("1500000000000000001")
    assert done.answer().body["screen_name"] == "Twitter"  # type: ignore[index]
    assert reusable(lookup, found)


@pytest.mark.parametrize(
    "reply",
    [
        V2Reply(200, {}, {"errors": [{"title": "Not Found Error"}]}),
        V2Reply(503),
    ],
)
def test_a_lookup_that_found_nothing_is_not_reused_and_the_caller_is_still_learned(reply: V2Reply):
    request = V11Request("GET", SHOW.path, (("user_id", "783214"),))
    me = V2Reply(200, {}, {"data": {"id": "1500000000000000001", "username": "me"}})
    lookup = V2Call(
        "GET", "/2/users/783214", lookup_params(with_status=True), cache=True, access=BY_ID
    )

    done = play(
        run(SHOW, request, Known()),
        ((V2Call("GET", "/2/users/me", access=OWN_USER),), (me,)),
        ((lookup,), (reply,)),
    )

    assert not reusable(lookup, reply)
    assert done.caller == Caller("1500000000000000001")
    assert done.error is not None


def test_only_lookups_marked_cacheable_are_reused():
    found = V2Reply(200, {}, twitter_user())
    assert not reusable(V2Call("GET", "/2/users/783214", access=BY_ID), found)
