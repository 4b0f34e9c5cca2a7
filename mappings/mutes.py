"""v1.1's mutes family over v2: create and destroy (a relation change, see `relations`), and
v2's mute list (rows over `lists.ids` and `lists.users`)."""

from mappings.lists import Listed
from mappings.relations import Change, Relation, make, undo
from mappings.types import Access, Caller, Flow

# The mute list's users carry whether the caller blocks them too; v2 has nothing for being
# blocked by them, so `blocked_by` is never among their connection_status and always false.
MUTES = Listed(
    "muting",
    Access("the mute list", write=False, probe="/2/users/{id}/muting?max_results=1"),
    keys=("muting", "blocking", "blocked_by"),
)
MUTING = Relation(
    MUTES,
    Access("muting", write=True),
    with_yourself=271,
    not_there=272,
    answer=(("muting", "muting"),),
)


def create(change: Change, caller: Caller) -> Flow:
    """POST /1.1/mutes/users/create.json → POST /2/users/:id/muting."""
    return make(MUTING, change, caller)


def destroy(change: Change, caller: Caller) -> Flow:
    """POST /1.1/mutes/users/destroy.json → DELETE /2/users/:id/muting/:target_user_id."""
    return undo(MUTING, change, caller)
