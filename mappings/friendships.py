"""v1.1's friendships family over v2's follows: create and destroy (a relation change, see
`relations`: `POST /2/users/:id/following`, `DELETE /2/users/:id/following/:target_user_id`),
and friendships/show, the caller's relationship to one user from a lookup's
`connection_status`.

v1.1 answered a follow with the followed user's object, `follow_request_sent: true` for a
protected account (v2: `pending_follow`), and an unfollow of a user you do not follow with the
user object too, not an error (tweepy's `testcreatedestroyfriendship` recording, 2021). Its
friendships/show told the relationship between any two users; v2's `connection_status` tells
only the caller's, so a source that is not the caller is refused (163; docs/differences.md).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mappings.callers import OWN_USER
from mappings.errors import V11Error, raise_for_v2, rate_limit_headers
from mappings.friends import FRIENDS
from mappings.lookups import READ
from mappings.params import Target, parse_target
from mappings.relations import Change, Relation, make, undo
from mappings.types import Access, Caller, Flow, Known, V2Call, V11Reply, V11Request
from mappings.users import BY_ID, BY_NAME, found_user, relationships

# The list of users the caller follows, which friends/ids and friends/list read.
FOLLOWING = Relation(
    FRIENDS,
    Access("following", write=True),
    with_yourself=158,
    # Unfollowing a user you do not follow answered the user object in v1.1: no error.
    not_there=None,
    answer=(("following", "following"), ("pending_follow", "follow_request_sent")),
    # v1.1's follow answers carried `muting` (the 2021 recording), as its mute answers did.
    also=("muting",),
    # v1.1's words for the follow limit (code 161); v2's refusal is not recorded, so a 403
    # saying them is read as the limit, and any other 403 as missing access.
    refusals=(("unable to follow more people", 161),),
)
CANNOT_TELL = 163  # "Could not determine source user."
NOT_THE_CALLER = (
    "Could not determine source user: API v2 tells only the authenticating user's "
    "relationships, so friendships/show answers for the caller as source (leave source_id and "
    "source_screen_name out, or name the caller)."
)
NO_TARGET = "target_id or target_screen_name parameter is missing."
# Only what the relationship needs: v2 sends id, name and username always.
RELATION_FIELDS = (("user.fields", "connection_status"),)


def create(change: Change, caller: Caller) -> Flow:
    """POST /1.1/friendships/create.json → POST /2/users/:id/following."""
    return make(FOLLOWING, change, caller)


def destroy(change: Change, caller: Caller) -> Flow:
    """POST /1.1/friendships/destroy.json → DELETE /2/users/:id/following/:target_user_id."""
    return undo(FOLLOWING, change, caller)


@dataclass(frozen=True, slots=True)
class Pair:
    """A friendships/show request, checked: the target, and the source when the request names
    one (None: the caller, as v1.1 took it)."""

    target: Target
    source: Target | None = None


def parse_show(request: V11Request, known: Known) -> Pair:
    try:
        target = parse_target(request, READ, ("target_id", "target_screen_name"))
    except V11Error as error:
        if error.code == 38:
            raise V11Error(38, NO_TARGET) from None
        raise
    names = ("source_id", "source_screen_name")
    if not any(key in names for key, _ in request.params):
        return Pair(target)
    return Pair(target, parse_target(request, CANNOT_TELL, names))


def show(pair: Pair, caller: Caller) -> Flow:
    """GET /1.1/friendships/show.json → the target's lookup with `connection_status`, and the
    caller's own user (for the source's screen name), in one batch."""
    source = pair.source
    if source is not None and source.user_id not in (None, caller.user_id):
        raise V11Error(CANNOT_TELL, NOT_THE_CALLER)
    target, me = yield (_relation_call(pair.target), _source_call(source))
    raise_for_v2(target, unknown_user=READ)
    raise_for_v2(me, unknown_user=CANNOT_TELL)
    them, us = found_user(target)["data"], found_user(me)["data"]
    if us["id"] != caller.user_id:
        raise V11Error(CANNOT_TELL, NOT_THE_CALLER)
    return V11Reply(200, relationship(us, them), rate_limit_headers(target))


def relationship(source: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """v1.1's relationship object (keys and order of tweepy's `testgetfriendship` recording,
    2019) for the caller as source and a v2 user looked up with `connection_status`. What v2
    has no source for is false, or follows what v1.1 derived it from (docs/differences.md)."""
    links = set(relationships(target))
    following, followed_by = "following" in links, "followed_by" in links
    requested, received = "follow_request_sent" in links, "follow_request_received" in links
    return {
        "relationship": {
            "source": {
                **_names(source),
                "following": following,
                "followed_by": followed_by,
                "live_following": False,
                "following_received": received,
                "following_requested": requested,
                "notifications_enabled": False,
                # A user who follows you can be sent a DM (v1.1's rule, open DMs aside).
                "can_dm": followed_by,
                "blocking": "blocking" in links,
                "blocked_by": False,
                "muting": "muting" in links,
                # On for every follow until turned off: v2 does not say.
                "want_retweets": following,
                "all_replies": False,
                "marked_spam": False,
            },
            "target": {
                **_names(target),
                "following": followed_by,
                "followed_by": following,
                "following_received": requested,
                "following_requested": received,
            },
        }
    }


def _names(user: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(user.get("username"), str):
        raise V11Error(131)
    return {"id": int(user["id"]), "id_str": user["id"], "screen_name": user["username"]}


def _relation_call(target: Target) -> V2Call:
    # Never cached: a relationship read right after a follow must show it.
    if target.user_id is not None:
        return V2Call("GET", f"/2/users/{target.user_id}", RELATION_FIELDS, access=BY_ID)
    path = f"/2/users/by/username/{target.screen_name}"
    return V2Call("GET", path, RELATION_FIELDS, access=BY_NAME)


def _source_call(source: Target | None) -> V2Call:
    """The caller's own user, for its screen name; a source named by screen name is looked up,
    to tell whether it is the caller."""
    if source is not None and source.screen_name is not None:
        path = f"/2/users/by/username/{source.screen_name}"
        return V2Call("GET", path, cache=True, access=BY_NAME)
    return V2Call("GET", "/2/users/me", cache=True, access=OWN_USER)
