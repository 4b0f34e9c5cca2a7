"""The lists v2 keeps of a user's relations (`GET /2/users/:id/<relation>`), as v1.1's cursored
pages: of ids (`friends/ids`, `mutes/users/ids`, …) or of user objects (`friends/list`, …).
Generic over the relation, as `relations` is for changes.

One v1.1 page may take several v2 pages: v1.1 gave up to 5000 ids a page where v2 gives at most
1000, so the flow asks for the next v2 page until it has `count` or the list ends, and the
v1.1 cursors stand for the tokens of the first page's previous page and the last one's next.
A user list's `status` is each user's most recent tweet, looked up in one more batch: v2 lists
document no expansion that carries it (the reference, api-facts 2.3).
"""

from dataclasses import dataclass
from typing import Any

from mappings.cursors import V2_MOST, Cursors, Page, page_cursors, parse_page
from mappings.errors import UNKNOWN_USER, V11Error, raise_for_v2, tightest
from mappings.params import LEGACY_ID, USER, Target, include_entities, is_true, parse_target
from mappings.tweets import TWEET_FIELDS, TWEET_LOOKUP
from mappings.types import Access, Caller, Flow, Known, Steps, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import USER_FIELDS, found_user, lookup_call, relationships, v11_user

# v1.1 answered a list of a user that does not exist with 404, code 34 (J7mbo/twitter-api-php
# issue 27, followers/ids of a deleted account; egg-mode issue 117, friends/list).
UNKNOWN = UNKNOWN_USER["list"]
OWNER = (*USER, LEGACY_ID)


@dataclass(frozen=True, slots=True)
class Listed:
    """A relation as its list shows it: v2's name for it (the path segment and the
    `connection_status` value), the access reading the list needs, the v1.1 relation keys a
    listed user object carries (read from `connection_status`; the relation's own is true on
    the caller's own list), whether v1.1 let the request name whose list (`user_id` or
    `screen_name`; else only the caller's), and whether v1.1's pages held `total_count: null`
    (every real blocks, friends and followers page does; mute lists had none)."""

    name: str
    access: Access
    keys: tuple[str, ...] = ()
    of_anyone: bool = False
    total_count: bool = False


@dataclass(frozen=True, slots=True)
class Listing:
    """A page request of a list, checked: whose list (None: the caller's) and what to show."""

    page: Page
    owner: Target | None = None
    stringify: bool = False
    include_entities: bool = True
    with_status: bool = True


def parse_ids(listed: Listed, request: V11Request, known: Known) -> Listing:
    page = parse_page(request, known.cursors, default_count=5000, most=5000)
    return Listing(page, _owner(listed, request), stringify=is_true(request.param("stringify_ids")))


def parse_users(listed: Listed, request: V11Request, known: Known) -> Listing:
    page = parse_page(request, known.cursors, default_count=20, most=200)
    # friends/list and followers/list named it `include_user_entities`, the others
    # `include_entities`; either turns the user's entities off.
    user_entities = request.param("include_user_entities")
    entities = include_entities(request) and (user_entities is None or is_true(user_entities))
    return Listing(
        page,
        _owner(listed, request),
        include_entities=entities,
        with_status=not is_true(request.param("skip_status")),
    )


def ids(listed: Listed, listing: Listing, caller: Caller) -> Flow:
    """A page of the list, ids only."""
    users, pages, cursors = yield from _pages(listed, listing, caller, ())
    found = [user["id"] if listing.stringify else int(user["id"]) for user in users]
    return _reply(listed, "ids", found, pages, cursors)


def users(listed: Listed, listing: Listing, caller: Caller) -> Flow:
    """A page of the list, as v1.1 user objects, each with its most recent tweet."""
    fields = (("user.fields", USER_FIELDS),)
    listed_users, pages, cursors = yield from _pages(listed, listing, caller, fields)
    tweets, looked_up = (
        (yield from _recent_tweets(listed_users)) if listing.with_status else ([], [])
    )
    own = listing.owner is None
    found = [
        v11_user(
            {"data": user, "includes": {"tweets": tweets}},
            include_entities=listing.include_entities,
            with_status=listing.with_status,
            relations={
                key: (own and key == listed.name) or key in relationships(user)
                for key in listed.keys
            },
        )
        for user in listed_users
    ]
    return _reply(listed, "users", found, [*pages, *looked_up], cursors)


def _owner(listed: Listed, request: V11Request) -> Target | None:
    """Whose list a request names; None for the caller's own (v1.1's default)."""
    if not listed.of_anyone or all(request.param(name) is None for name in OWNER):
        return None
    return parse_target(request, UNKNOWN)


def owner_id(owner: Target | None, caller: Caller, unknown: int) -> Steps[str]:
    """The id of the user a request names (looked up by name where it gave one), or the
    caller's; `unknown`: the v1.1 code for a user that is not there."""
    if owner is None:
        return caller.user_id
    if owner.user_id is not None:
        return owner.user_id
    (found,) = yield (lookup_call(owner, with_status=False, cache=True),)
    raise_for_v2(found, unknown_user=unknown)
    user_id: str = found_user(found)["data"]["id"]
    return user_id


def _pages(
    listed: Listed, listing: Listing, caller: Caller, fields: tuple[tuple[str, str], ...]
) -> Steps[tuple[list[dict[str, Any]], list[V2Reply], Cursors]]:
    """The users of as many v2 pages as `count` needs (one after the other: each needs the
    token the one before gave), their replies, and the v1.1 cursors."""
    owner = yield from owner_id(listing.owner, caller, UNKNOWN)
    path = f"/2/users/{owner}/{listed.name}"
    found: list[dict[str, Any]] = []
    replies: list[V2Reply] = []
    token, previous = listing.page.token, None
    # Each call adds up to V2_MOST users: no more calls than the count needs, whatever v2 says.
    for call in range(-(-listing.page.count // V2_MOST)):
        params = [("max_results", str(min(listing.page.count - len(found), V2_MOST)))]
        if token is not None:
            params.append(("pagination_token", token))
        (reply,) = yield (V2Call("GET", path, (*params, *fields), access=listed.access),)
        raise_for_v2(reply, unknown_user=UNKNOWN)
        replies.append(reply)
        meta = reply.body.get("meta", {}) if isinstance(reply.body, dict) else {}
        meta = meta if isinstance(meta, dict) else {}
        if call == 0:
            previous = meta.get("previous_token")
        found += _page_users(reply)
        token = meta.get("next_token")
        if not isinstance(token, str) or not token or len(found) >= listing.page.count:
            break
    return found, replies, page_cursors({"next_token": token, "previous_token": previous})


def _recent_tweets(listed_users: list[dict[str, Any]]) -> Steps[tuple[list[Any], list[V2Reply]]]:
    """The listed users' most recent tweets, 100 ids a call in one batch. A lookup that fails
    leaves those users without `status` rather than failing the page (docs/differences.md)."""
    wanted = [u["most_recent_tweet_id"] for u in listed_users if "most_recent_tweet_id" in u]
    if not wanted:
        return [], []
    chunks = [wanted[start : start + 100] for start in range(0, len(wanted), 100)]
    replies = yield tuple(
        V2Call(
            "GET",
            "/2/tweets",
            (("ids", ",".join(chunk)), ("tweet.fields", TWEET_FIELDS)),
            access=TWEET_LOOKUP,
        )
        for chunk in chunks
    )
    tweets: list[Any] = []
    for reply in replies:
        data = reply.body.get("data") if isinstance(reply.body, dict) else None
        if reply.status == 200 and isinstance(data, list):
            tweets += data
    return tweets, list(replies)


def _reply(
    listed: Listed, key: str, found: list[Any], replies: list[V2Reply], cursors: Cursors
) -> V11Reply:
    body = {key: found, **cursors.fields}
    if listed.total_count:
        body["total_count"] = None  # v1.1's own value on these pages: it never counted
    # Several v2 calls: the window that will refuse first (docs/differences.md).
    return V11Reply(200, body, tightest(replies), cursors.remember)


def _page_users(reply: V2Reply) -> list[dict[str, Any]]:
    found = reply.body.get("data", []) if isinstance(reply.body, dict) else []
    if not isinstance(found, list) or not all(
        isinstance(user, dict) and isinstance(user.get("id"), str) for user in found
    ):
        raise V11Error(131)
    return found
