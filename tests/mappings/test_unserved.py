"""The calls v2 cannot serve: the table is X's endpoint map, and each answer says so."""

import pytest

from mappings import ENDPOINTS, ROUTABLE
from mappings.unserved import (
    BLOCKS_WITHDRAWN,
    NO_REPLACEMENT,
    RATE_LIMIT_STATUS,
    UNSERVED,
    refuses_endpoint,
    unserved,
)
from tests.reference import endpoint_map

NOT_PLANNED = r"\[No Replacement Planned]"


def test_the_table_is_every_v11_call_the_map_marks_no_replacement_planned():
    marked = {call for v2, calls in endpoint_map() if v2 == NOT_PLANNED for call in calls}
    planned = {call for call, reason in UNSERVED.items() if reason == NO_REPLACEMENT}

    assert planned == marked
    assert RATE_LIMIT_STATUS in marked  # the shim answers it itself


def test_manage_blocks_is_in_the_map_but_withdrawn_for_self_serve_access():
    """The map still names v2's Manage blocks; the reference says it was withdrawn in June 2023."""
    mapped = {call: v2 for v2, calls in endpoint_map() for call in calls}
    withdrawn = {call for call, reason in UNSERVED.items() if reason == BLOCKS_WITHDRAWN}

    assert withdrawn == {("POST", "/1.1/blocks/create.json"), ("POST", "/1.1/blocks/destroy.json")}
    assert all("Manage blocks" in mapped[call] for call in withdrawn)


def test_no_call_is_both_translated_and_unserved_and_each_is_routable():
    translated = {(method, e.path) for e in ENDPOINTS for method in e.methods}

    assert not translated & set(UNSERVED)
    assert len(set(ROUTABLE)) == len(ROUTABLE)
    assert {"blocks/create", "application/rate_limit_status"} <= set(ROUTABLE)


def test_the_error_is_v11s_retired_endpoint_and_says_why_and_what_to_do():
    error = unserved("POST", "/1.1/blocks/create.json")

    assert (error.status, error.code) == (410, 251)
    assert error.message.startswith("This endpoint has been retired and should not be used.")
    assert (
        "API v2 offers no replacement for POST blocks/create on self-serve access" in error.message
    )
    assert "June 2023" in error.message
    assert "route blocks/create to v1" in error.message


TIER = {"errors": [{"code": 453, "message": "You currently have access to a subset …"}]}


@pytest.mark.parametrize(
    ("status", "body", "refuses"),
    [
        (403, TIER, True),
        (410, None, True),
        (410, {"errors": [{"code": 251, "message": "retired"}]}, True),
        (403, {"errors": [{"code": 220, "message": "no"}]}, False),
        (404, {"errors": [{"code": 34, "message": "no page"}]}, False),
        (200, {"id": 1}, False),
        (200, TIER, False),
        (403, "<html>", False),
    ],
)
def test_which_upstream_answers_refuse_the_endpoint_itself(status, body, refuses):
    assert refuses_endpoint(status, body) is refuses
