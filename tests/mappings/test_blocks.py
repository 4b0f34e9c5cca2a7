"""blocks/ids over v2's block list: the generic list flow, answering as v1.1's real blocks/ids."""

from typing import Any

from mappings.blocks import BLOCKS
from mappings.cursors import cursor_for
from mappings.types import Caller, Known, V2Call, V2Reply, V11Request
from tests.fakes import load
from tests.mappings.play import play, translate

ME = Caller("1500000000000000001")
# The real v1.1 answer (tweepy, 2019): an empty block list.
(RECORDED,) = load("reference/testblocksids.decoded.json")["interactions"]
HEADERS = {name: values[0] for name, values in RECORDED["response"]["headers"].items()}
LIMITS = {name: value for name, value in HEADERS.items() if name.startswith("x-rate-limit-")}


def blocked_ids(*params: tuple[str, str], cursors: dict[str, str] | None = None) -> Any:
    request = V11Request("GET", "/1.1/blocks/ids.json", params)
    return translate(request, Known(ME, cursors or {}))


def first_page(*params: tuple[str, str], max_results: str = "1000") -> V2Call:
    path = f"/2/users/{ME.user_id}/blocking"
    return V2Call("GET", path, (("max_results", max_results), *params), access=BLOCKS.access)


def test_an_empty_block_list_answers_as_v11_did():
    """v1.1's answer, `total_count: null` included."""
    reply = play(blocked_ids(), ((first_page(),), (V2Reply(200, LIMITS, {"meta": {}}),)))

    assert (reply.status, reply.body, reply.headers) == (200, RECORDED["response"]["body"], LIMITS)


def test_a_page_of_blocked_ids_with_its_cursors():
    page = {"data": [{"id": "12"}, {"id": "783214"}], "meta": {"next_token": "NEXT"}}
    reply = play(
        blocked_ids(("stringify_ids", "true"), ("count", "2")),
        ((first_page(max_results="2"),), (V2Reply(200, {}, page),)),
    )
    cursor = cursor_for("NEXT")

    assert reply.body == {
        "ids": ["12", "783214"],
        "next_cursor": cursor,
        "next_cursor_str": str(cursor),
        "previous_cursor": 0,
        "previous_cursor_str": "0",
        "total_count": None,
    }
    assert reply.cursors == {str(cursor): "NEXT"}


def test_the_next_cursor_asks_for_the_next_page():
    call = first_page(("pagination_token", "NEXT"))
    cursor = str(cursor_for("NEXT"))
    reply = play(
        blocked_ids(("cursor", cursor), cursors={cursor: "NEXT"}),
        ((call,), (V2Reply(200, {}, {"data": [{"id": "5"}], "meta": {}}),)),
    )

    assert reply.body["ids"] == [5]
