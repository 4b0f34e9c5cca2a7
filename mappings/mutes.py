"""The flows of v1.1's mutes family over v2: create, destroy, and the ids and list pages.

v2 mutes with `POST /2/users/:id/muting {"target_user_id"}` and unmutes with
`DELETE /2/users/:source_user_id/muting/:target_user_id`; both answer `{"data":{"muting":bool}}`, so
the v1.1 user object comes from a user lookup. With a `user_id` the lookup and the change are
independent and go in one batch; a `screen_name` must be looked up first, because v2 needs the id.
An unmute always looks up first: the lookup's `connection_status` says whether the caller mutes
the user, and v1.1 answered 272 when not.
"""

from typing import Any

from mappings.cursors import Cursors, page_cursors, parse_page
from mappings.errors import UNKNOWN_USER, V11Error, raise_for_v2, rate_limit_headers
from mappings.params import Target, is_true, parse_target
from mappings.types import Caller, Context, Flow, Steps, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params, relationships, v11_user

WRITE = UNKNOWN_USER["write"]  # a mute or unmute of a user that does not exist


def create(request: V11Request, context: Context) -> Flow:
    """POST /1.1/mutes/users/create.json → POST /2/users/:id/muting."""
    return _change(request, context.identify, mute=True)


def destroy(request: V11Request, context: Context) -> Flow:
    """POST /1.1/mutes/users/destroy.json → DELETE /2/users/:id/muting/:target_user_id."""
    return _change(request, context.identify, mute=False)


def ids(request: V11Request, context: Context) -> Flow:
    """GET /1.1/mutes/users/ids.json → GET /2/users/:id/muting, ids only."""
    # v1.1 pages held up to 5000 ids; v2 pages hold up to 1000.
    page = parse_page(request, context.cursors, default_count=1000)
    stringify = is_true(request.param("stringify_ids"))
    caller = yield from context.identify
    reply, cursors = yield from _muted_page(caller, page.params)
    users = _page_users(reply)
    muted = [user["id"] if stringify else int(user["id"]) for user in users]
    return V11Reply(
        200, {"ids": muted, **cursors.fields}, rate_limit_headers(reply), cursors.remember
    )


def users_list(request: V11Request, context: Context) -> Flow:
    """GET /1.1/mutes/users/list.json → GET /2/users/:id/muting with the user fields."""
    page = parse_page(request, context.cursors, default_count=20)
    include_entities = _include_entities(request)
    caller = yield from context.identify
    reply, cursors = yield from _muted_page(
        caller, (*page.params, *lookup_params(with_status=False))
    )
    users = [
        # Listed, so muted; connection_status says whether the caller blocks them too. v2 has
        # nothing for being blocked by them.
        v11_user({"data": user}, muting=True, include_entities=include_entities, with_status=False)
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


def _include_entities(request: V11Request) -> bool:
    return request.param("include_entities") is None or is_true(request.param("include_entities"))


def _change(request: V11Request, identify: Steps[Caller], *, mute: bool) -> Flow:
    # Parameters are checked before anything, so bad input never costs a v2 call.
    target = parse_target(request, WRITE)
    caller = yield from identify
    include_entities = _include_entities(request)
    with_status = not is_true(request.param("skip_status"))
    # Unmuting asks for the relationship first, fresh: v2's DELETE answers `muting: false`
    # whether or not the user was muted, where v1.1 answered 272.
    lookup = _lookup_call(target, with_status=with_status, cache=mute)
    if target.user_id is not None:
        _refuse_self(caller, target.user_id, mute=mute)
    if mute and target.user_id is not None:
        changed, found = yield (_change_call(caller, target.user_id, mute=mute), lookup)
        # A missing user explains a failed change better than the change's own error does.
        if found.status == 200:
            raise_for_v2(found, unknown_user=WRITE)
        raise_for_v2(changed)
        raise_for_v2(found, unknown_user=WRITE)
    else:
        (found,) = yield (lookup,)
        raise_for_v2(found, unknown_user=WRITE)
        looked_up = _found_user(found)["data"]
        _refuse_self(caller, looked_up["id"], mute=mute)
        if not mute and "muting" not in relationships(looked_up):
            raise V11Error(272)
        (changed,) = yield (_change_call(caller, looked_up["id"], mute=mute),)
        raise_for_v2(changed)
    user = v11_user(
        _found_user(found),
        muting=_muting(changed),
        include_entities=include_entities,
        with_status=with_status,
    )
    return V11Reply(200, user, rate_limit_headers(changed))


def _lookup_call(target: Target, *, with_status: bool, cache: bool) -> V2Call:
    params = lookup_params(with_status=with_status)
    if target.user_id is not None:
        return V2Call("GET", f"/2/users/{target.user_id}", params, cache=cache)
    return V2Call("GET", f"/2/users/by/username/{target.screen_name}", params, cache=cache)


def _change_call(caller: Caller, target_id: str, *, mute: bool) -> V2Call:
    if mute:
        # Muting a muted user changes nothing (v2 answers muting: true), so a retry is safe.
        target = {"target_user_id": target_id}
        return V2Call("POST", f"/2/users/{caller.user_id}/muting", json=target, repeatable=True)
    return V2Call("DELETE", f"/2/users/{caller.user_id}/muting/{target_id}")


def _refuse_self(caller: Caller, target_id: str, *, mute: bool) -> None:
    # Nobody can mute themselves, so unmuting yourself is "not muting the specified user".
    if caller.user_id == target_id:
        raise V11Error(271 if mute else 272)


def _found_user(found: V2Reply) -> dict[str, Any]:
    """The body of a successful user lookup, checked to hold a user with an id."""
    body = found.body if isinstance(found.body, dict) else {}
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise V11Error(131)
    return body


def _muting(changed: V2Reply) -> bool:
    data = changed.body.get("data") if isinstance(changed.body, dict) else None
    muting = data.get("muting") if isinstance(data, dict) else None
    if not isinstance(muting, bool):
        raise V11Error(131)
    return muting
