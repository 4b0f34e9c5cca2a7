"""The v1.1 calls v2 cannot serve, and the error that says so: one table, data only.

X's endpoint map (reference `x-docs/endpoint-map.mdx`) marks some v1.1 endpoints "No
Replacement Planned"; v2's manage-blocks endpoints (`POST blocks/create`, `POST blocks/destroy`)
are in the map but were withdrawn for self-serve access in June 2023 (reference README). Each is
one row: the v1.1 method and path (`:id` as the map writes a path's id), and the reason.
`tests/mappings/test_unserved.py` keeps the table equal to the map.

Whatever the routing says, such a call never gets the upstream's bare 453: where the routing serves
v2 (the default) the shim answers it itself; where it serves v1.1 the call passes through and an
upstream refusal of the endpoint (453, 251, or a 410) becomes the same error. The answer is v1.1's
own word for an endpoint that is gone: HTTP 410, code 251 "This endpoint has been retired and should
not be used." (Twitter's response-code list), its message saying why and what the operator can do.
`GET application/rate_limit_status` is in the map too; the shim answers it itself
(`mappings/ratelimits.py`), so only routed to v1 can it meet this error.
"""

from collections.abc import Mapping

from mappings.errors import V11Error

NO_REPLACEMENT = "X's endpoint map marks it No Replacement Planned"
BLOCKS_WITHDRAWN = (
    "v2's manage-blocks endpoints (create and destroy) were withdrawn for self-serve access in "
    "June 2023"
)

UNSERVED: Mapping[tuple[str, str], str] = {
    ("POST", "/1.1/blocks/create.json"): BLOCKS_WITHDRAWN,
    ("POST", "/1.1/blocks/destroy.json"): BLOCKS_WITHDRAWN,
    ("POST", "/1.1/friendships/update.json"): NO_REPLACEMENT,
    ("GET", "/1.1/saved_searches/show/:id.json"): NO_REPLACEMENT,
    ("GET", "/1.1/saved_searches/list.json"): NO_REPLACEMENT,
    ("POST", "/1.1/saved_searches/create.json"): NO_REPLACEMENT,
    ("POST", "/1.1/saved_searches/destroy/:id.json"): NO_REPLACEMENT,
    ("POST", "/1.1/users/report_spam.json"): NO_REPLACEMENT,
    ("GET", "/1.1/statuses/oembed.json"): NO_REPLACEMENT,
    ("GET", "/1.1/statuses/retweets_of_me.json"): NO_REPLACEMENT,
    ("GET", "/1.1/lists/members/show.json"): NO_REPLACEMENT,
    ("GET", "/1.1/lists/subscribers/show.json"): NO_REPLACEMENT,
    ("POST", "/1.1/lists/members/create_all.json"): NO_REPLACEMENT,
    ("POST", "/1.1/lists/members/destroy_all.json"): NO_REPLACEMENT,
    ("GET", "/1.1/collections/entries.json"): NO_REPLACEMENT,
    ("GET", "/1.1/collections/list.json"): NO_REPLACEMENT,
    ("GET", "/1.1/collections/show.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/create.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/destroy.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/entries/add.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/entries/curate.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/entries/move.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/entries/remove.json"): NO_REPLACEMENT,
    ("POST", "/1.1/collections/update.json"): NO_REPLACEMENT,
    ("GET", "/1.1/application/rate_limit_status.json"): NO_REPLACEMENT,
    ("GET", "/1.1/help/languages.json"): NO_REPLACEMENT,
}

RATE_LIMIT_STATUS = ("GET", "/1.1/application/rate_limit_status.json")
"""Unserved by v2, answered by the shim itself from what it has seen (`mappings.ratelimits`)."""

RETIRED = 251  # v1.1: "This endpoint has been retired and should not be used.", HTTP 410
# An upstream answer that refuses the endpoint itself, rather than the request: the tier's 453,
# v1.1's own "retired", or a 410 Gone.
REFUSING_CODES = frozenset({453, RETIRED})
REFUSING_STATUS = 410


def pattern(path: str) -> str:
    """The path as a route matches it: the map's `:id` stands for any one segment."""
    return path.replace(":id", "{id}")


def name(path: str) -> str:
    """`/1.1/blocks/create.json` → `blocks/create`, as the routing file and dashboard name it."""
    return path.removeprefix("/1.1/").removesuffix(".json")


def unserved(method: str, path: str) -> V11Error:
    """The error for a call v2 offers no replacement for: what, why, and what the operator can
    do."""
    endpoint = name(path)
    message = (
        f"This endpoint has been retired and should not be used. API v2 offers no replacement "
        f"for {method} {endpoint} on self-serve access ({UNSERVED[method, path]}), so the shim "
        f"cannot translate it. An app with enterprise v1.1 access can route {endpoint} to v1 "
        "in the routing file; otherwise remove the call from the app."
    )
    return V11Error(RETIRED, message)


def refuses_endpoint(status: int, body: object) -> bool:
    """Whether an upstream v1.1 answer refuses the endpoint itself (so it is answered with
    `unserved`): HTTP 410, or a v1.1 error body whose first code is 453 or 251."""
    if status == REFUSING_STATUS:
        return True
    if status < 400 or not isinstance(body, dict):
        return False
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    return isinstance(first, dict) and first.get("code") in REFUSING_CODES
