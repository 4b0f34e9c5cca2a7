"""Which of X's self-serve access levels (its plans: Free, Basic, Pro) offer each v2 call the
translated endpoints make, as X's rate-limit table says (docs.x.com, "Rate limits": the X API v2
table, a column per plan, a cross where a plan lacks the call). A call the table does not list
is offered by none of them: X's Enterprise access is the one left to ask about.

`shim check` names the level a refused probe needs from here; `tests/mappings/test_tiers.py`
checks the table against a copy of X's page, and that every kind of access `shim check` probes
has its entry. Calls are named by method and X's path template: `GET /2/users/:id/muting`.
"""

import re
from collections.abc import Mapping

from mappings.types import Access

PLANS = ("Free", "Basic", "Pro")  # X's self-serve access levels, from the least

EVERY_PLAN = PLANS
NO_PLAN: tuple[str, ...] = ()  # not in the table: Enterprise, if X offers it at all

TIERS: Mapping[str, tuple[str, ...]] = {
    "GET /2/tweets": EVERY_PLAN,
    "GET /2/tweets/:id": EVERY_PLAN,
    "POST /2/tweets": EVERY_PLAN,
    "DELETE /2/tweets/:id": EVERY_PLAN,
    "GET /2/users/:id/tweets": EVERY_PLAN,
    "POST /2/users/:id/likes": EVERY_PLAN,
    "DELETE /2/users/:id/likes/:tweet_id": EVERY_PLAN,
    "POST /2/users/:id/retweets": EVERY_PLAN,
    "DELETE /2/users/:id/retweets/:tweet_id": EVERY_PLAN,
    "GET /2/tweets/search/recent": EVERY_PLAN,
    "GET /2/users/me": EVERY_PLAN,
    "GET /2/users": EVERY_PLAN,
    "GET /2/users/:id": EVERY_PLAN,
    "GET /2/users/by": EVERY_PLAN,
    "GET /2/users/by/username/:username": EVERY_PLAN,
    "GET /2/users/:id/muting": EVERY_PLAN,
    "POST /2/users/:id/muting": EVERY_PLAN,
    "DELETE /2/users/:source_user_id/muting/:target_user_id": EVERY_PLAN,
    "GET /2/users/:id/blocking": EVERY_PLAN,
    "GET /2/users/:id/following": NO_PLAN,
    "POST /2/users/:id/following": EVERY_PLAN,
    "DELETE /2/users/:source_user_id/following/:target_user_id": EVERY_PLAN,
    "GET /2/users/:id/followers": NO_PLAN,
    "GET /2/users/:id/timelines/reverse_chronological": EVERY_PLAN,
    "GET /2/users/:id/mentions": EVERY_PLAN,
    "GET /2/users/:id/liked_tweets": EVERY_PLAN,
}
"""The plans whose column in X's rate-limit table gives the call a limit, by call."""


def probed(access: Access) -> str:
    """The call a read's probe makes, as the table names it: `/2/users/{id}/blocking?…` is
    `GET /2/users/:id/blocking`."""
    path = access.probe.partition("?")[0]
    return "GET " + re.sub(r"\{(\w+)\}", r":\1", path)


def needed(access: Access) -> str:
    """The access level a read needs, in words, or "" where the table has no entry."""
    call = probed(access)
    plans = TIERS.get(call)
    if plans is None:
        return ""
    if not plans:
        return f"X's rate-limit table gives {call} to no self-serve plan (Free, Basic, Pro)"
    if plans == PLANS[-len(plans) :]:
        return f"{call} needs X's {plans[0]} plan or higher"
    return f"{call} is in X's {' and '.join(plans)} plans"
