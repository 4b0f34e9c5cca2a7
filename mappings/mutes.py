"""The flows of `POST mutes/users/create.json` and `POST mutes/users/destroy.json` over v2.

v2 mutes with `POST /2/users/:id/muting {"target_user_id"}` and unmutes with
`DELETE /2/users/:source_user_id/muting/:target_user_id`; both answer `{"data":{"muting":bool}}`, so
the v1.1 user object comes from a user lookup. With a `user_id` the lookup and the change are
independent and go in one batch; a `screen_name` must be looked up first, because v2 needs the id.
"""

from typing import Any

from mappings.errors import V11Error, raise_for_v2, rate_limit_headers
from mappings.params import Target, is_true, parse_target
from mappings.types import Caller, Flow, Steps, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import lookup_params, v11_user


def create(request: V11Request, identify: Steps[Caller]) -> Flow:
    """POST /1.1/mutes/users/create.json → POST /2/users/:id/muting."""
    return _change(request, identify, mute=True)


def destroy(request: V11Request, identify: Steps[Caller]) -> Flow:
    """POST /1.1/mutes/users/destroy.json → DELETE /2/users/:id/muting/:target_user_id."""
    return _change(request, identify, mute=False)


def _change(request: V11Request, identify: Steps[Caller], *, mute: bool) -> Flow:
    # Parameters are checked before anything, so bad input never costs a v2 call.
    target = parse_target(request)
    caller = yield from identify
    include_entities = request.param("include_entities") is None or is_true(
        request.param("include_entities")
    )
    with_status = not is_true(request.param("skip_status"))
    lookup = _lookup_call(target, with_status=with_status)
    if target.user_id is not None:
        _refuse_self(caller, target.user_id, mute=mute)
        changed, found = yield (_change_call(caller, target.user_id, mute=mute), lookup)
        # A missing user explains a failed change better than the change's own error does.
        if found.status == 200:
            raise_for_v2(found)
        raise_for_v2(changed)
        raise_for_v2(found)
    else:
        (found,) = yield (lookup,)
        raise_for_v2(found)
        target_id = _found_user(found)["data"]["id"]
        _refuse_self(caller, target_id, mute=mute)
        (changed,) = yield (_change_call(caller, target_id, mute=mute),)
        raise_for_v2(changed)
    user = v11_user(
        _found_user(found),
        muting=_muting(changed),
        include_entities=include_entities,
        with_status=with_status,
    )
    return V11Reply(200, user, rate_limit_headers(changed))


def _lookup_call(target: Target, *, with_status: bool) -> V2Call:
    params = lookup_params(with_status=with_status)
    if target.user_id is not None:
        return V2Call("GET", f"/2/users/{target.user_id}", params)
    return V2Call("GET", f"/2/users/by/username/{target.screen_name}", params)


def _change_call(caller: Caller, target_id: str, *, mute: bool) -> V2Call:
    if mute:
        return V2Call(
            "POST", f"/2/users/{caller.user_id}/muting", json={"target_user_id": target_id}
        )
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
