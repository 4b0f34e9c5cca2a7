"""Which user a v1.1 call names: `user_id`, `screen_name` or the legacy `id`, checked before any
v2 call."""

import re
from dataclasses import dataclass

from mappings.errors import V11Error
from mappings.types import V11Request

# v2's own patterns for a user id and a username (reference api-facts 2.1 and 2.4).
USER_ID = re.compile(r"[0-9]{1,19}")
SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,15}")


@dataclass(frozen=True, slots=True)
class Target:
    """The user to mute or unmute: exactly one of the two is set."""

    user_id: str | None = None
    screen_name: str | None = None


USER = ("user_id", "screen_name")
LEGACY_ID = "id"


def parse_target(request: V11Request, unknown_user: int, names: tuple[str, str] = USER) -> Target:
    """The target named by the request; `user_id` wins when both are given, as in v1.1, and
    either wins over the legacy `id`, which v1 took as an id or a screen name (tweepy 3.x's
    `create_mute(id)`, `get_user(id)`): all digits, a user id; otherwise a screen name. A
    malformed id or name cannot name a user: `unknown_user` (from errors.UNKNOWN_USER).
    `names`: the id and name parameters, where an endpoint calls them otherwise
    (friendships/show's `target_id` and `target_screen_name`, which take no legacy `id`)."""
    legacy_names = (LEGACY_ID,) if names == USER else ()
    for name in (*names, *legacy_names):
        # The same parameter twice with two values names no one user: refuse, never guess.
        if len({value for key, value in request.params if key == name}) > 1:
            raise V11Error(195)
    user_id, screen_name = (request.param(name) for name in names)
    legacy = request.param(LEGACY_ID) if legacy_names else None
    if user_id is None and screen_name is None and legacy is not None:
        if legacy.isascii() and legacy.isdigit():
            user_id = legacy
        else:
            screen_name = legacy
    if user_id is not None:
        if not USER_ID.fullmatch(user_id):
            raise V11Error(unknown_user)
        return Target(user_id=str(int(user_id)))
    if screen_name is not None:
        if not SCREEN_NAME.fullmatch(screen_name):
            raise V11Error(unknown_user)
        return Target(screen_name=screen_name)
    raise V11Error(38)


def number(value: str | None, most_digits: int = 19) -> int | None:
    """A whole number written in ASCII digits, or None: `str.isdigit` also takes "²" and "②",
    which `int` refuses, and `int` refuses more than 4300 digits."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > most_digits:
        return None
    return int(value)


def is_true(value: str | None) -> bool:
    """v1.1's reading of a boolean parameter: `true`, `t` or `1`."""
    return value is not None and value.lower() in ("true", "t", "1")


def include_entities(request: V11Request) -> bool:
    """v1.1's `include_entities`: on unless the request turns it off."""
    value = request.param("include_entities")
    return value is None or is_true(value)
