"""The lists v2 keeps of the users the caller has a relation with (`GET /2/users/:id/<relation>`),
as v1.1's cursored pages: of ids (`mutes/users/ids`, `blocks/ids`) or of user objects
(`mutes/users/list`). Generic over the relation, as `relations` is for changes."""

from dataclasses import dataclass
from typing import Any

from mappings.cursors import Cursors, Page, page_cursors, parse_page
from mappings.errors import V11Error, raise_for_v2, rate_limit_headers
from mappings.params import include_entities, is_true
from mappings.types import Access, Caller, Flow, Known, Steps, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params, relationships, v11_user


@dataclass(frozen=True, slots=True)
class Listed:
    """A relation as its list shows it: v2's name for it (the path segment and the
    `connection_status` value), the access reading the list needs, and the v1.1 keys a listed
    user object carries besides the relation's own, each read from `connection_status`."""

    name: str
    access: Access
    keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Listing:
    """A page request of a list, checked."""

    page: Page
    stringify: bool = False
    include_entities: bool = True


def parse_ids(request: V11Request, known: Known) -> Listing:
    # v1.1 pages held up to 5000 ids; v2 pages hold up to 1000.
    page = parse_page(request, known.cursors, default_count=1000)
    return Listing(page, stringify=is_true(request.param("stringify_ids")))


def parse_users(request: V11Request, known: Known) -> Listing:
    page = parse_page(request, known.cursors, default_count=20)
    return Listing(page, include_entities=include_entities(request))


def ids(listed: Listed, listing: Listing, caller: Caller) -> Flow:
    """A page of the list, ids only."""
    reply, cursors = yield from _page(listed, caller, listing.page.params)
    users = _page_users(reply)
    found = [user["id"] if listing.stringify else int(user["id"]) for user in users]
    return V11Reply(
        200, {"ids": found, **cursors.fields}, rate_limit_headers(reply), cursors.remember
    )


def users(listed: Listed, listing: Listing, caller: Caller) -> Flow:
    """A page of the list, as v1.1 user objects."""
    reply, cursors = yield from _page(
        listed, caller, (*listing.page.params, *lookup_params(with_status=False))
    )
    found = [
        # Listed, so the relation holds; the other keys come from connection_status.
        v11_user(
            {"data": user},
            include_entities=listing.include_entities,
            with_status=False,
            relations={listed.name: True},
        )
        | {key: key in relationships(user) for key in listed.keys}
        for user in _page_users(reply)
    ]
    return V11Reply(
        200, {"users": found, **cursors.fields}, rate_limit_headers(reply), cursors.remember
    )


def _page(
    listed: Listed, caller: Caller, params: tuple[tuple[str, str], ...]
) -> Steps[tuple[V2Reply, Cursors]]:
    path = f"/2/users/{caller.user_id}/{listed.name}"
    (reply,) = yield (V2Call("GET", path, params, access=listed.access),)
    raise_for_v2(reply)
    meta = reply.body.get("meta", {}) if isinstance(reply.body, dict) else {}
    return reply, page_cursors(meta)


def _page_users(reply: V2Reply) -> list[dict[str, Any]]:
    found = reply.body.get("data", []) if isinstance(reply.body, dict) else []
    if not isinstance(found, list):
        raise V11Error(131)
    return found
