"""v1.1's mutes family over v2: create and destroy (a relation change, see `relations`), and
the ids and list pages of v2's paged mute list."""

from dataclasses import dataclass
from typing import Any

from mappings.cursors import Cursors, Page, page_cursors, parse_page
from mappings.errors import V11Error, raise_for_v2, rate_limit_headers
from mappings.params import include_entities, is_true
from mappings.relations import Change, Relation, make, undo
from mappings.types import Caller, Flow, Known, Steps, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params, relationships, v11_user

MUTING = Relation("muting", with_yourself=271, not_there=272)


@dataclass(frozen=True, slots=True)
class Listing:
    """A page request of the mute list, checked."""

    page: Page
    stringify: bool = False
    include_entities: bool = True


def create(change: Change, caller: Caller) -> Flow:
    """POST /1.1/mutes/users/create.json → POST /2/users/:id/muting."""
    return make(MUTING, change, caller)


def destroy(change: Change, caller: Caller) -> Flow:
    """POST /1.1/mutes/users/destroy.json → DELETE /2/users/:id/muting/:target_user_id."""
    return undo(MUTING, change, caller)


def parse_ids(request: V11Request, known: Known) -> Listing:
    # v1.1 pages held up to 5000 ids; v2 pages hold up to 1000.
    page = parse_page(request, known.cursors, default_count=1000)
    return Listing(page, stringify=is_true(request.param("stringify_ids")))


def parse_list(request: V11Request, known: Known) -> Listing:
    page = parse_page(request, known.cursors, default_count=20)
    return Listing(page, include_entities=include_entities(request))


def ids(listing: Listing, caller: Caller) -> Flow:
    """GET /1.1/mutes/users/ids.json → GET /2/users/:id/muting, ids only."""
    reply, cursors = yield from _muted_page(caller, listing.page.params)
    users = _page_users(reply)
    muted = [user["id"] if listing.stringify else int(user["id"]) for user in users]
    return V11Reply(
        200, {"ids": muted, **cursors.fields}, rate_limit_headers(reply), cursors.remember
    )


def users_list(listing: Listing, caller: Caller) -> Flow:
    """GET /1.1/mutes/users/list.json → GET /2/users/:id/muting with the user fields."""
    reply, cursors = yield from _muted_page(
        caller, (*listing.page.params, *lookup_params(with_status=False))
    )
    users = [
        # Listed, so muted; connection_status says whether the caller blocks them too. v2 has
        # nothing for being blocked by them.
        v11_user(
            {"data": user},
            include_entities=listing.include_entities,
            with_status=False,
            relations={"muting": True},
        )
        | {"blocking": "blocking" in relationships(user), "blocked_by": False}
        for user in _page_users(reply)
    ]
    return V11Reply(
        200, {"users": users, **cursors.fields}, rate_limit_headers(reply), cursors.remember
    )


def _muted_page(
    caller: Caller, params: tuple[tuple[str, str], ...]
) -> Steps[tuple[V2Reply, Cursors]]:
    (reply,) = yield (V2Call("GET", f"/2/users/{caller.user_id}/muting", params),)
    raise_for_v2(reply)
    meta = reply.body.get("meta", {}) if isinstance(reply.body, dict) else {}
    return reply, page_cursors(meta)


def _page_users(reply: V2Reply) -> list[dict[str, Any]]:
    users = reply.body.get("data", []) if isinstance(reply.body, dict) else []
    if not isinstance(users, list):
        raise V11Error(131)
    return users
