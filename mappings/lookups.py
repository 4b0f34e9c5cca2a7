"""The v1.1 user reads a legacy app makes before its first mute, over v2's user lookups:
users/show (`/2/users/:id`, `/2/users/by/username/:u`), users/lookup and friendships/lookup
(`/2/users?ids=`, `/2/users/by?usernames=`, with `connection_status` for the relationships).

v1.1 answered users/lookup in the order the ids and names were asked for (the reference's
`testlookupusers` recording), left out users it could not find or who were suspended, and
answered 404, code 17 when none was left (public client threads: twit #163, tweepy #1616).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mappings.errors import UNKNOWN_USER, V11Error, raise_for_v2, rate_limit_headers
from mappings.params import SCREEN_NAME, USER_ID, Target, include_entities, parse_target
from mappings.types import Caller, Flow, Known, Steps, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import (
    BY_ID,
    BY_NAME,
    found_user,
    lookup_call,
    lookup_params,
    relationships,
    v11_user,
)

READ = UNKNOWN_USER["read"]
NONE_FOUND = 17
MOST_TERMS = 100  # v1.1's limit per users/lookup or friendships/lookup call, and v2's
# v1.1's `connections` values for v2's `connection_status` ones; v1.1 had no word for a follow
# request received.
CONNECTIONS = {
    "following": "following",
    "follow_request_sent": "following_requested",
    "followed_by": "followed_by",
    "blocking": "blocking",
    "muting": "muting",
}


@dataclass(frozen=True, slots=True)
class Show:
    """A users/show request, checked."""

    target: Target
    include_entities: bool


@dataclass(frozen=True, slots=True)
class Terms:
    """The ids and screen names a users/lookup or friendships/lookup asks for, in its order."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    include_entities: bool = True


def parse_show(request: V11Request, known: Known) -> Show:
    return Show(parse_target(request, READ), include_entities(request))


def show(request: Show, caller: Caller) -> Flow:
    """GET /1.1/users/show.json → GET /2/users/:id or /2/users/by/username/:username."""
    (found,) = yield (lookup_call(request.target, with_status=True, cache=True),)
    raise_for_v2(found, unknown_user=READ)
    user = v11_user(found_user(found), include_entities=request.include_entities)
    return V11Reply(200, user, rate_limit_headers(found))


def parse_terms(request: V11Request, known: Known) -> Terms:
    """Comma-separated `user_id` and `screen_name` values; ones that cannot name a user are
    left out as v1.1 left out users it could not find."""
    ids = _listed(
        request, "user_id", lambda term: str(int(term)) if USER_ID.fullmatch(term) else None
    )
    names = _listed(
        request, "screen_name", lambda term: term if SCREEN_NAME.fullmatch(term) else None
    )
    if len(ids) + len(names) > MOST_TERMS:
        raise V11Error(18)
    if not ids and not names:
        raise V11Error(NONE_FOUND)
    return Terms(ids, names, include_entities(request))


def users_lookup(terms: Terms, caller: Caller) -> Flow:
    """GET|POST /1.1/users/lookup.json → GET /2/users?ids= and /2/users/by?usernames=."""
    found, replies = yield from _find(terms, lookup_params(with_status=True))
    includes = _includes(replies)
    users = [
        v11_user({"data": user, "includes": includes}, include_entities=terms.include_entities)
        for user in found
    ]
    return V11Reply(200, users, rate_limit_headers(replies[0]))


def friendships_lookup(terms: Terms, caller: Caller) -> Flow:
    """GET /1.1/friendships/lookup.json → the same lookups, asking only for `connection_status`."""
    found, replies = yield from _find(terms, (("user.fields", "connection_status"),))
    answer = [
        {
            "name": user["name"],
            "id": int(user["id"]),
            "screen_name": user["username"],
            "id_str": user["id"],
            "connections": [
                CONNECTIONS[link] for link in relationships(user) if link in CONNECTIONS
            ]
            or ["none"],
        }
        for user in found
    ]
    return V11Reply(200, answer, rate_limit_headers(replies[0]))


def _listed(request: V11Request, name: str, normal: Callable[[str], str | None]) -> tuple[str, ...]:
    """The terms in the order given, each once (names case-insensitively). A body can hold
    hundreds of thousands: past MOST_TERMS the request is refused before reading on."""
    terms: dict[str, str] = {}  # lowered → as given, in order
    for key, value in request.params:
        if key == name:
            for term in value.split(","):
                kept = normal(term.strip())
                if kept is not None:
                    terms.setdefault(kept.lower(), kept)
                    if len(terms) > MOST_TERMS:
                        raise V11Error(18)
    return tuple(terms.values())


def _find(
    terms: Terms, params: tuple[tuple[str, str], ...]
) -> Steps[tuple[list[dict[str, Any]], tuple[V2Reply, ...]]]:
    """The users found, in the order asked for, each once; by id and by name in one batch."""
    calls = []
    if terms.ids:
        ids = ",".join(terms.ids)
        calls.append(V2Call("GET", "/2/users", (("ids", ids), *params), cache=True, access=BY_ID))
    if terms.names:
        usernames = ",".join(terms.names)
        calls.append(
            V2Call(
                "GET",
                "/2/users/by",
                (("usernames", usernames), *params),
                cache=True,
                access=BY_NAME,
            )
        )
    replies = yield tuple(calls)
    for reply in replies:
        # An answer with no `data` found none of its users (missing or suspended alike: v1.1
        # left both out); any other failure is the call's own.
        if not (reply.status == 200 and isinstance(reply.body, dict) and "data" not in reply.body):
            raise_for_v2(reply)
    users = [user for reply in replies for user in _data(reply)]
    by_id = {user["id"]: user for user in users}
    by_name = {user["username"].lower(): user for user in users}
    wanted = [by_id.get(i) for i in terms.ids] + [by_name.get(n.lower()) for n in terms.names]
    found: dict[str, dict[str, Any]] = {}
    for user in wanted:
        if user is not None:
            found.setdefault(user["id"], user)
    if not found:
        raise V11Error(NONE_FOUND)
    return list(found.values()), replies


def _data(reply: V2Reply) -> list[dict[str, Any]]:
    users = reply.body.get("data", []) if isinstance(reply.body, dict) else []
    if not isinstance(users, list) or not all(
        isinstance(u, dict) and isinstance(u.get("id"), str) and isinstance(u.get("username"), str)
        for u in users
    ):
        raise V11Error(131)
    return users


def _includes(replies: tuple[V2Reply, ...]) -> Mapping[str, Any]:
    tweets = [
        tweet
        for reply in replies
        if isinstance(reply.body, dict)
        for tweet in reply.body.get("includes", {}).get("tweets", [])
    ]
    return {"tweets": tweets}
