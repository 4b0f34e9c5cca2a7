"""Making and undoing a relation to another user: the one step behind mute and unmute, and behind
any v1.1 write v2 expresses as `POST /2/users/:id/<relation> {"target_user_id"}` and
`DELETE /2/users/:source_user_id/<relation>/:target_user_id` (following is the same shape).

v2 answers `{"data":{"<relation>":bool}}`, so the v1.1 user object comes from a user lookup.
With a `user_id` the lookup and the change are independent and go in one batch; a `screen_name`
must be looked up first, because v2 needs the id. Undoing always looks up first, uncached: the
lookup's `connection_status` says whether the relation exists, and v1.1 refused to undo one
that did not (272 for mutes) where v2's DELETE answers the same either way.
"""

from dataclasses import dataclass

from mappings.errors import UNKNOWN_USER, V11Error, raise_for_v2, rate_limit_headers
from mappings.lists import Listed
from mappings.params import Target, include_entities, is_true, parse_target
from mappings.types import Access, Caller, Flow, Known, V2Call, V2Reply, V11Reply, V11Request
from mappings.users import found_user, lookup_call, relationships, v11_user

WRITE = UNKNOWN_USER["write"]  # a change to a user that does not exist


@dataclass(frozen=True, slots=True)
class Relation:
    """One kind of relation a user can make and undo: its list (v2's name for it, which is also
    the field its answers carry), the access changing it needs, v1.1's errors for making it
    with yourself and for undoing it where there is none, and its answer: each field of v2's
    change answer with the v1.1 key it sets, the relation's own first (following would add
    `("pending_follow", "follow_request_sent")`, for a protected account)."""

    listed: Listed
    access: Access
    with_yourself: int
    not_there: int
    answer: tuple[tuple[str, str], ...]

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
        raise_for_v2(changed)
    else:
        _refuse_self(relation, caller, target.user_id, make=True)
        changed, found = yield (_make_call(relation, caller, target.user_id), lookup)
        # A missing user explains a failed change better than the change's own error does.
        if found.status == 200:
            raise_for_v2(found, unknown_user=WRITE)
        raise_for_v2(changed)
        raise_for_v2(found, unknown_user=WRITE)
    return _answer(relation, change, found, changed)


def undo(relation: Relation, change: Change, caller: Caller) -> Flow:
    """Undo the relation, once a fresh lookup shows it is there."""
    if change.target.user_id is not None:
        _refuse_self(relation, caller, change.target.user_id, make=False)
    (found,) = yield (lookup_call(change.target, with_status=change.with_status, cache=False),)
    raise_for_v2(found, unknown_user=WRITE)
    looked_up = found_user(found)["data"]
    _refuse_self(relation, caller, looked_up["id"], make=False)
    if relation.name not in relationships(looked_up):
        raise V11Error(relation.not_there)
    target = looked_up["id"]
    path = f"/2/users/{caller.user_id}/{relation.name}/{target}"
    (changed,) = yield (V2Call("DELETE", path, access=relation.access),)
    raise_for_v2(changed)
    return _answer(relation, change, found, changed)


def _answer(relation: Relation, change: Change, found: V2Reply, changed: V2Reply) -> V11Reply:
    user = v11_user(
        found_user(found),
        include_entities=change.include_entities,
        with_status=change.with_status,
        relations=_states(relation, changed),
    )
    return V11Reply(200, user, rate_limit_headers(changed))


def _make_call(relation: Relation, caller: Caller, target_id: str) -> V2Call:
    # Making a relation that is there changes nothing (v2 answers true again): a retry is safe.
    body = {"target_user_id": target_id}
    path = f"/2/users/{caller.user_id}/{relation.name}"
    return V2Call("POST", path, json=body, repeatable=True, access=relation.access)


def _refuse_self(relation: Relation, caller: Caller, target_id: str, *, make: bool) -> None:
    # Nobody has the relation with themselves, so undoing it is "not there" too.
    if caller.user_id == target_id:
        raise V11Error(relation.with_yourself if make else relation.not_there)


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
