"""Making and undoing a relation to another user: the one step behind mute and unmute, and behind
any v1.1 write v2 expresses as `POST /2/users/:id/<relation> {"target_user_id"}` and
`DELETE /2/users/:source_user_id/<relation>/:target_user_id` (following is the same shape).

v2 answers `{"data":{"<relation>":bool}}`, so the v1.1 user object comes from a user lookup.
With a `user_id` the lookup and the change are independent and go in one batch; a `screen_name`
must be looked up first, because v2 needs the id. Undoing a relation v1.1 refused to undo where
there was none (272 for mutes) looks up first, uncached: the lookup's `connection_status` says
whether the relation exists, where v2's DELETE answers the same either way. Undoing one v1.1
undid silently (unfollowing a user you do not follow answered the user object) is shaped like
making it: the DELETE and, with an id, the lookup in one batch.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from mappings.errors import UNKNOWN_USER, V11Error, raise_for_v2, rate_limit_headers, words
from mappings.lists import Listed
from mappings.params import Target, include_entities, is_true, parse_target
from mappings.types import Access, Caller, Flow, Known, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import found_user, lookup_call, relationships, v11_user

WRITE = UNKNOWN_USER["write"]  # a change to a user that does not exist


@dataclass(frozen=True, slots=True)
class Relation:
    """One kind of relation a user can make and undo: its list (v2's name for it, which is also
    the field its answers carry), the access changing it needs, v1.1's errors for making it
    with yourself and for undoing it where there is none (None: v1.1 answered the user object
    then, as friendships/destroy did), and its answer: each field of v2's change answer with the
    v1.1 key it sets, the relation's own first (following adds `("pending_follow",
    "follow_request_sent")`, for a protected account). `also`: v1.1 keys the answer carries
    from the lookup's `connection_status` (following's answers had `muting`). `refusals`: words
    in a v2 403 refusing the change, each with the v1.1 code it stands for (the follow limit)."""

    listed: Listed
    access: Access
    with_yourself: int
    not_there: int | None
    answer: tuple[tuple[str, str], ...]
    also: tuple[str, ...] = ()
    refusals: tuple[tuple[str, int], ...] = ()

    @property
    def name(self) -> str:
        return self.listed.name


@dataclass(frozen=True, slots=True)
class Change:
    """A change request, checked: whom it names and how the answer's user object looks."""

    target: Target
    include_entities: bool
    with_status: bool


def parse_change(request: V11Request, known: Known) -> Change:
    """The request's target and answer options; bad input fails here, before any v2 call."""
    return Change(
        parse_target(request, WRITE),
        include_entities(request),
        not is_true(request.param("skip_status")),
    )


def make(relation: Relation, change: Change, caller: Caller) -> Flow:
    """Make the relation: the change and, with an id, the lookup in the same batch."""
    target = change.target
    lookup = lookup_call(change.target, with_status=change.with_status, cache=True)
    if target.user_id is None:
        (found,) = yield (lookup,)
        raise_for_v2(found, unknown_user=WRITE)
        target_id = found_user(found)["data"]["id"]
        _refuse_self(relation, caller, target_id, make=True)
        (changed,) = yield (_make_call(relation, caller, target_id),)
        _raise_for_change(relation, changed)
    else:
        _refuse_self(relation, caller, target.user_id, make=True)
        changed, found = yield (_make_call(relation, caller, target.user_id), lookup)
        _raise_for_both(relation, changed, found)
    return _answer(relation, change, found, changed)


def undo(relation: Relation, change: Change, caller: Caller) -> Flow:
    """Undo the relation, once a fresh lookup shows it is there; where v1.1 undid it silently
    (`not_there` None), as `make` makes it."""
    if relation.not_there is None:
        return (yield from _undo_anyway(relation, change, caller))
    if change.target.user_id is not None:
        _refuse_self(relation, caller, change.target.user_id, make=False)
    (found,) = yield (lookup_call(change.target, with_status=change.with_status, cache=False),)
    raise_for_v2(found, unknown_user=WRITE)
    looked_up = found_user(found)["data"]
    _refuse_self(relation, caller, looked_up["id"], make=False)
    if relation.name not in relationships(looked_up):
        raise V11Error(relation.not_there)
    (changed,) = yield (_undo_call(relation, caller, looked_up["id"]),)
    _raise_for_change(relation, changed)
    return _answer(relation, change, found, changed)


def _undo_anyway(relation: Relation, change: Change, caller: Caller) -> Flow:
    """Undo the relation whether it is there or not (v2's DELETE answers the same either way);
    with yourself, where it cannot be, answer the user object without a DELETE."""
    target = change.target
    lookup = lookup_call(target, with_status=change.with_status, cache=True)
    if target.user_id is None or target.user_id == caller.user_id:
        (found,) = yield (lookup,)
        raise_for_v2(found, unknown_user=WRITE)
        target_id = found_user(found)["data"]["id"]
        if target_id == caller.user_id:
            states = {key: False for _, key in relation.answer}
            return _reply(relation, change, found, states, rate_limit_headers(found))
        (changed,) = yield (_undo_call(relation, caller, target_id),)
        _raise_for_change(relation, changed)
    else:
        changed, found = yield (_undo_call(relation, caller, target.user_id), lookup)
        _raise_for_both(relation, changed, found)
    return _answer(relation, change, found, changed)


def _raise_for_both(relation: Relation, changed: V2Reply, found: V2Reply) -> None:
    # A missing user explains a failed change better than the change's own error does.
    if found.status == 200:
        raise_for_v2(found, unknown_user=WRITE)
    _raise_for_change(relation, changed)
    raise_for_v2(found, unknown_user=WRITE)


def _raise_for_change(relation: Relation, changed: V2Reply) -> None:
    """The change's own failure: a refusal the relation names by its words (the follow limit),
    else what any v2 failure stands for."""
    if changed.status == 403 and isinstance(changed.body, Mapping):
        said = words(changed.body).lower()
        for phrase, code in relation.refusals:
            if phrase in said:
                raise V11Error(code, headers=rate_limit_headers(changed))
    raise_for_v2(changed)


def _answer(relation: Relation, change: Change, found: V2Reply, changed: V2Reply) -> V11Reply:
    return _reply(relation, change, found, _states(relation, changed), rate_limit_headers(changed))


def _reply(
    relation: Relation,
    change: Change,
    found: V2Reply,
    states: Mapping[str, bool],
    headers: Mapping[str, str],
) -> V11Reply:
    body = found_user(found)
    links = relationships(body["data"])
    user = v11_user(
        body,
        include_entities=change.include_entities,
        with_status=change.with_status,
        relations={**{key: key in links for key in relation.also}, **states},
    )
    return V11Reply(200, user, dict(headers))


def _make_call(relation: Relation, caller: Caller, target_id: str) -> V2Call:
    # Making a relation that is there changes nothing (v2 answers true again): a retry is safe.
    body = {"target_user_id": target_id}
    path = f"/2/users/{caller.user_id}/{relation.name}"
    return V2Call("POST", path, json=body, repeatable=True, access=relation.access)


def _undo_call(relation: Relation, caller: Caller, target_id: str) -> V2Call:
    path = f"/2/users/{caller.user_id}/{relation.name}/{target_id}"
    return V2Call("DELETE", path, access=relation.access)


def _refuse_self(relation: Relation, caller: Caller, target_id: str, *, make: bool) -> None:
    # Nobody has the relation with themselves, so undoing it is "not there" too.
    if caller.user_id != target_id:
        return
    if make:
        raise V11Error(relation.with_yourself)
    if relation.not_there is not None:
        raise V11Error(relation.not_there)


def _states(relation: Relation, changed: V2Reply) -> dict[str, bool]:
    """The v1.1 keys v2's change answer sets: the relation's own must be there, the others
    only come where they apply."""
    data = changed.body.get("data") if isinstance(changed.body, dict) else None
    data = data if isinstance(data, dict) else {}
    states = {
        key: data[field] for field, key in relation.answer if isinstance(data.get(field), bool)
    }
    if relation.answer[0][1] not in states:
        raise V11Error(131)
    return states
