"""Who the caller is: the source user id that v2 wants in its paths."""

import re

from mappings.errors import V11Error, raise_for_v2
from mappings.params import number
from mappings.types import Access, Caller, Steps, V2Call

# An OAuth 1.0a access token starts with its user's id: `1072250532645998596-…` (reference README).
TOKEN_USER_ID = re.compile(r"([0-9]{1,19})-")


# App-only bearer tokens are a run of "A"s then the app's id, encoded. They carry no user, and v1.1
# answered 220 to credentials without the access an endpoint needs (reference README).
APP_ONLY_PREFIX = "AAAAAAAAAAAAAAAAAAAAA"

OWN_USER = Access("the caller's own user", write=False, probe="/2/users/me")


def is_app_only(bearer: str) -> bool:
    """Whether an OAuth 2.0 bearer token is an app-only token, which carries no user."""
    return bearer.startswith(APP_ONLY_PREFIX)


def caller_from_token(token: str) -> Caller | None:
    """The caller named by an access token's numeric prefix, or None when it carries none."""
    match = TOKEN_USER_ID.match(token)
    return Caller(user_id=match.group(1)) if match else None


def whoami() -> Steps[Caller]:
    """Ask v2 who the token belongs to, for tokens that do not say."""
    (me,) = yield (V2Call("GET", "/2/users/me", access=OWN_USER),)
    raise_for_v2(me)
    data = me.body.get("data") if isinstance(me.body, dict) else None
    user_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(user_id, str) or number(user_id) is None:
        raise V11Error(131)
    return Caller(user_id=user_id)
