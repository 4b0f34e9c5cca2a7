"""account/verify_credentials over `GET /2/users/me`: the call a legacy app makes at start-up.

v1.1 answered the caller's user object with two keys of its own at the end, `suspended` and
`needs_phone_verification` (tweepy's 2019 recording). A suspended caller gets v2's 403 and so
code 64, so an answer is never suspended; v2 has nothing for the phone check. v2 gives no email
for OAuth 1.0a callers, so `include_email=true` answers without `email`.
"""

from dataclasses import dataclass

from mappings.callers import OWN_USER
from mappings.errors import raise_for_v2, rate_limit_headers
from mappings.params import include_entities, is_true
from mappings.types import Caller, Flow, Known, V2Call, V11Reply, V11Request
from mappings.users import found_user, lookup_params, v11_user


@dataclass(frozen=True, slots=True)
class Verify:
    include_entities: bool
    with_status: bool


def parse(request: V11Request, known: Known) -> Verify:
    return Verify(include_entities(request), not is_true(request.param("skip_status")))


def verify_credentials(request: Verify, caller: Caller) -> Flow:
    """GET /1.1/account/verify_credentials.json → GET /2/users/me, never from a cache: it is
    how an app learns its token still works."""
    params = lookup_params(with_status=request.with_status)
    (me,) = yield (V2Call("GET", "/2/users/me", params, access=OWN_USER),)
    raise_for_v2(me)
    user = v11_user(
        found_user(me),
        include_entities=request.include_entities,
        with_status=request.with_status,
    )
    answer = user | {"suspended": False, "needs_phone_verification": False}
    return V11Reply(200, answer, rate_limit_headers(me))
