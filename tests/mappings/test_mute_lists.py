"""mutes/users/ids and mutes/users/list over v2's paged mute list, with v1.1 cursors."""

from collections.abc import Mapping
from typing import Any

import pytest

from mappings.cursors import cursor_for
from mappings.errors import V11Error
from mappings.mutes import MUTES
from mappings.types import Caller, Known, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params
from tests.mappings.play import play, translate

ME = Caller("1072250532645998596")
MUTING = f"/2/users/{ME.user_id}/muting"
# The real v2 mute list answer (tweepy's recording), and one page of a longer list.
REAL_PAGE = {
    "data": [{"id": "17874544", "name": "Twitter Support", "username": "TwitterSupport"}],
    "meta": {"result_count": 1},
}
LIMITS = {"x-rate-limit-limit": "15", "x-rate-limit-remaining": "11", "x-rate-limit-reset": "1"}


def get(
    path: str, cursors: Mapping[str, str] | None = None, **params: str
) -> tuple[V11Request, Known]:
    request = V11Request("GET", f"/1.1/mutes/users/{path}.json", tuple(params.items()))
    return request, Known(ME, cursors or {})


def page(ids: list[str], next_token: str | None = None, previous: str | None = None) -> V2Reply:
    meta: dict[str, Any] = {"result_count": len(ids)}
    if next_token:
        meta["next_token"] = next_token
    if previous:
        meta["previous_token"] = previous
    users = [
        {"id": i, "name": f"u{i}", "username": f"u{i}", "created_at": "2020-01-01T00:00:00.000Z"}
        for i in ids
    ]
    return V2Reply(200, LIMITS, {"data": users, "meta": meta})


def body(reply: V11Reply) -> dict[str, Any]:
    assert isinstance(reply.body, dict)
    return reply.body


def test_the_real_single_page_as_ids():
    reply = play(
        translate(*get("ids")),
        (
            (V2Call("GET", MUTING, (("max_results", "1000"),), access=MUTES.access),),
            (V2Reply(200, LIMITS, REAL_PAGE),),
        ),
    )

    assert body(reply) == {
        "ids": [17874544],
        "next_cursor": 0,
        "next_cursor_str": "0",
        "previous_cursor": 0,
        "previous_cursor_str": "0",
    }
    assert reply.headers == LIMITS
    assert reply.cursors == {}


def test_stringify_ids():
    reply = play(
        translate(*get("ids", stringify_ids="true")),
        (
            (V2Call("GET", MUTING, (("max_results", "1000"),), access=MUTES.access),),
            (V2Reply(200, {}, REAL_PAGE),),
        ),
    )

    assert body(reply)["ids"] == ["17874544"]


def test_next_token_becomes_a_cursor_that_comes_back_as_the_token():
    first = play(
        translate(*get("ids", count="2")),
        (
            (V2Call("GET", MUTING, (("max_results", "2"),), access=MUTES.access),),
            (page(["1", "2"], "7140dibdnow9c7btw482"),),
        ),
    )
    cursor = body(first)["next_cursor"]

    assert cursor == cursor_for("7140dibdnow9c7btw482")
    assert 0 < cursor < 2**63
    assert body(first)["next_cursor_str"] == str(cursor)
    assert first.cursors == {str(cursor): "7140dibdnow9c7btw482"}

    second_call = V2Call(
        "GET",
        MUTING,
        (("max_results", "1000"), ("pagination_token", "7140dibdnow9c7btw482")),
        access=MUTES.access,
    )
    second = play(
        translate(*get("ids", first.cursors, cursor=str(cursor))),
        ((second_call,), (page(["3"], previous="back-token"),)),
    )

    assert body(second)["next_cursor"] == 0
    assert body(second)["previous_cursor"] == -cursor_for("back-token")
    assert second.cursors == {str(cursor_for("back-token")): "back-token"}


def test_a_negative_cursor_pages_back():
    known_cursors = {str(cursor_for("back-token")): "back-token"}
    call = V2Call(
        "GET",
        MUTING,
        (("max_results", "1000"), ("pagination_token", "back-token")),
        access=MUTES.access,
    )

    play(
        translate(*get("ids", known_cursors, cursor=str(-cursor_for("back-token")))),
        ((call,), (page(["1"]),)),
    )


@pytest.mark.parametrize("cursor", ["12345", "abc", "-", "1.5"])
def test_a_cursor_the_shim_did_not_issue_fails_before_any_call(cursor):
    flow = translate(*get("ids", cursor=cursor))

    with pytest.raises(V11Error) as error:
        next(flow)

    assert error.value.code == 195


@pytest.mark.parametrize(
    ("count", "max_results"), [("5", "5"), ("0", "1"), ("201", "200"), ("x", "20")]
)
def test_count_becomes_max_results(count, max_results):
    """v1.1 user pages held 20 by default and at most 200 (friends/list's documented count)."""
    params = (("max_results", max_results), *lookup_params(with_status=False))
    play(
        translate(*get("list", count=count)),
        ((V2Call("GET", MUTING, params, access=MUTES.access),), (page([]),)),
    )


def test_the_list_answers_v11_users_that_are_muted():
    params = (("max_results", "20"), *lookup_params(with_status=False))
    reply = play(
        translate(*get("list")),
        ((V2Call("GET", MUTING, params, access=MUTES.access),), (page(["17874544"]),)),
    )

    (user,) = body(reply)["users"]
    assert (user["id"], user["screen_name"], user["created_at"]) == (
        17874544,
        "u17874544",
        "Wed Jan 01 00:00:00 +0000 2020",
    )
    assert (user["muting"], user["blocking"], user["blocked_by"]) == (True, False, False)
    assert "status" not in user
    assert body(reply)["next_cursor_str"] == "0"


def test_list_entries_say_whom_the_caller_blocks_too():
    """connection_status gives each entry its real `blocking`; v2 has no `blocked_by`."""
    listed = page(["17874544", "17874545"])
    assert isinstance(listed.body, dict)
    listed.body["data"][0]["connection_status"] = ["blocking", "muting"]
    listed.body["data"][1]["connection_status"] = ["muting", "followed_by"]
    params = (("max_results", "20"), *lookup_params(with_status=False))
    reply = play(
        translate(*get("list")), ((V2Call("GET", MUTING, params, access=MUTES.access),), (listed,))
    )

    users = body(reply)["users"]
    assert [(u["blocking"], u["muting"], u["blocked_by"]) for u in users] == [
        (True, True, False),
        (False, True, False),
    ]


def test_an_empty_list_has_no_data_key():
    params = (("max_results", "20"), *lookup_params(with_status=False))
    reply = play(
        translate(*get("list")),
        (
            (V2Call("GET", MUTING, params, access=MUTES.access),),
            (V2Reply(200, {}, {"meta": {"result_count": 0}}),),
        ),
    )

    assert body(reply)["users"] == []


def test_a_rate_limited_list_is_88():
    flow = translate(*get("ids"))
    next(flow)

    with pytest.raises(V11Error) as error:
        flow.send((V2Reply(429, LIMITS, {"title": "Too Many Requests"}),))

    assert (error.value.code, error.value.headers) == (88, LIMITS)
