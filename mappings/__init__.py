"""The pure translation of legacy v1.1 calls into v2 calls: no I/O, no clock, no globals.

`ENDPOINTS` is the table of translated endpoints, one `Endpoint` record each; the shell derives
its routes, the routing file's names, comparisons and the tests' paths from it. Adding an
endpoint is a flow and a row here. `ROUTABLE` adds the v1.1 calls v2 cannot serve
(`mappings/unserved.py`), which the routing file may route too.
"""

from functools import partial
from typing import Any

from mappings import account, blocks, lists, lookups, mutes, unserved
from mappings.callers import OWN_USER
from mappings.endpoints import Endpoint
from mappings.lists import Listed, Listing
from mappings.relations import parse_change
from mappings.users import BY_ID, BY_NAME

# Differences every answer holding v1.1 user objects can show (compare.KNOWN).
USERS = frozenset({"no-v2-source", "status-from-v2", "withheld-always"})
PAGES = frozenset({"page-size", "cursors", "total-count"})
POST, GET = ("POST",), ("GET",)
LOOKUPS = (BY_ID, BY_NAME)


def id_list(path: str, listed: Listed) -> Endpoint[Listing]:
    """A v1.1 cursored id list over v2's list of a relation (`lists.ids`): such rows differ
    only in their path and the list."""
    return Endpoint(
        GET,
        path,
        lists.parse_ids,
        partial(lists.ids, listed),
        comparable=True,
        repeat_v1=True,
        known=PAGES,
        errors=(195,),
        access=(listed.access,),
    )


ENDPOINTS: tuple[Endpoint[Any], ...] = (
    Endpoint(
        POST,
        "/1.1/mutes/users/create.json",
        parse_change,
        mutes.create,
        comparable=True,
        repeat_v1=True,
        known=USERS | {"muting-state"},
        errors=(38, 63, 108, 195, 271),
        access=(mutes.MUTING.access, *LOOKUPS),
    ),
    Endpoint(
        POST,
        "/1.1/mutes/users/destroy.json",
        parse_change,
        mutes.destroy,
        comparable=True,
        # A second unmute would only see the first one's effect: no noise to tell.
        repeat_v1=False,
        known=USERS | {"muting-state", "unmute-compared-twice"},
        errors=(38, 63, 108, 195, 272),
        access=(mutes.MUTING.access, *LOOKUPS),
    ),
    id_list("/1.1/mutes/users/ids.json", mutes.MUTES),
    Endpoint(
        GET,
        "/1.1/mutes/users/list.json",
        lists.parse_users,
        mutes.users_list,
        comparable=True,
        repeat_v1=True,
        known=USERS | PAGES,
        errors=(195,),
        access=(mutes.MUTES.access,),
    ),
    id_list("/1.1/blocks/ids.json", blocks.BLOCKS),
    Endpoint(
        GET,
        "/1.1/account/verify_credentials.json",
        account.parse,
        account.verify_credentials,
        comparable=True,
        repeat_v1=True,
        known=USERS | {"no-email"},
        errors=(),
        access=(OWN_USER,),
    ),
    Endpoint(
        GET,
        "/1.1/users/show.json",
        lookups.parse_show,
        lookups.show,
        comparable=True,
        repeat_v1=True,
        known=USERS,
        errors=(38, 50, 63, 195),
        access=LOOKUPS,
    ),
    Endpoint(
        ("GET", "POST"),
        "/1.1/users/lookup.json",
        lookups.parse_terms,
        lookups.users_lookup,
        comparable=True,
        repeat_v1=True,
        known=USERS,
        errors=(17, 18),
        access=LOOKUPS,
    ),
    Endpoint(
        GET,
        "/1.1/friendships/lookup.json",
        lookups.parse_terms,
        lookups.friendships_lookup,
        comparable=True,
        repeat_v1=True,
        known=frozenset(),
        errors=(17, 18),
        access=LOOKUPS,
    ),
)

# The names the routing file may route: the translated endpoints, then those v2 cannot serve.
ROUTABLE: tuple[str, ...] = tuple(endpoint.name for endpoint in ENDPOINTS) + tuple(
    unserved.name(path) for _, path in unserved.UNSERVED
)
