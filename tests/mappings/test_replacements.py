"""Each v1.1 endpoint's v2 replacement: the table is X's endpoint map, and the migration report's
advice says which of them the shim already translates."""

import re

import pytest

from mappings import ENDPOINTS, uploads
from mappings.replacements import (
    OTHER,
    REPLACEMENTS,
    TRANSLATED,
    WITHDRAWN,
    advice,
    endpoint_of,
)
from mappings.unserved import UNSERVED, name
from tests.reference import endpoint_map

# The map's v1.1 column misspells a few calls; v1.1 itself (tweepy 3.10's bindings, the shim's
# own routes) has them as on the right.
MISSPELT = {
    "GET friendships/create": "POST friendships/create",
    "GET friendships/destroy": "POST friendships/destroy",
    "GET statuses/retweeters/:ids": "GET statuses/retweeters/ids",
    "GET lists/lists": "GET lists/list",
}


def replacement(cell: str) -> str | None:
    """The map's v2 cell as the table writes it: the first name in it, None for none planned."""
    text = cell.replace("\\", "")
    if text == "[No Replacement Planned]":
        return None
    found = re.search(r"\[([^\]]+)\]", text)
    assert found, cell
    return found.group(1)


def mapped() -> dict[str, str | None]:
    """The map's v1.1 calls, `METHOD name`, each with its v2 replacement."""
    calls = {}
    for cell, row in endpoint_map():
        for method, path in row:
            call = f"{method} {path.removeprefix('/1.1/').removesuffix('.json')}"
            calls[MISSPELT.get(call, call)] = replacement(cell)
    return calls


def test_every_call_the_map_names_has_the_maps_replacement():
    calls = mapped()

    assert {call: REPLACEMENTS.get(call, "missing") for call in calls} == calls
    assert "GET statuses/show" in calls  # the parsing found the rows


def test_calls_the_map_leaves_out_have_a_replacement_the_map_names_or_none():
    named = {None} | {
        found for cell, _ in endpoint_map() for found in re.findall(r"\[([^\]]+)\]", cell)
    }
    others = {call: v2 for call, v2 in REPLACEMENTS.items() if call not in mapped()}

    assert {v2 for v2 in others.values() if v2 not in named} == set()
    assert others["POST direct_messages/events/new"] == "Manage Direct Messages"
    assert others["GET help/configuration"] is None


def test_every_call_the_shim_routes_is_in_the_table():
    routed = {f"{m} {e.name}" for e in ENDPOINTS for m in e.methods}
    unserved = {f"{m} {name(path)}" for m, path in UNSERVED}

    assert routed | uploads.CALLS == TRANSLATED
    assert (routed | unserved | uploads.CALLS) - set(REPLACEMENTS) == set()


def test_the_advice_says_what_to_route_next():
    assert advice("GET statuses/show/:id") == "translated by the shim: route it to v2"
    assert advice("GET statuses/retweets/:id") == (
        "Retweets lookup (not translated by the shim: call v2 from the app)"
    )
    assert advice("GET help/configuration") == "none"
    assert advice("POST blocks/create").startswith("none on self-serve access (v2's manage-blocks")
    assert "POST blocks/create" in WITHDRAWN
    assert advice(OTHER) == "unknown: not a v1.1 endpoint"


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("GET", "/1.1/statuses/show/20.json", "GET statuses/show/:id"),
        ("GET", "/1.1/statuses/show.json", "GET statuses/show"),
        ("GET", "/1.1/statuses/retweets/1234.json", "GET statuses/retweets/:id"),
        ("POST", "/1.1/saved_searches/destroy/9.json", "POST saved_searches/destroy/:id"),
        ("GET", "/1.1/help/configuration.json", "GET help/configuration"),
        ("GET", "/1.1/friendships/no_retweets/ids.json", "GET friendships/no_retweets/ids"),
        ("POST", "/1.1/help/configuration.json", OTHER),  # v1.1 had no such POST
        ("GET", "/1.1/statuses/show/:id.json", "GET statuses/show/:id"),
        ("GET", "/1.1/nosuch/x7f3.json", OTHER),
        ("GET", "/1.1/statuses/retweets/1/2.json", OTHER),
        ("GET", "/2/users/me", OTHER),
        ("GET", "/1.1/", OTHER),
    ],
)
def test_a_path_is_named_as_the_map_names_it_or_folded(method, path, call):
    assert endpoint_of(method, path) == call
