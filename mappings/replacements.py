"""Each v1.1 endpoint and its v2 replacement, from X's endpoint map: one table, data only.

The migration report (`shim report`, the dashboard) names its rows by this table: a call is
`METHOD name`, the name as X's map and the routing file write it (`.json` dropped, an id's
segment `:id`), and a path no v1.1 endpoint has is folded into `OTHER`, so random paths cannot
grow the report. The v2 column is the map's own (reference `x-docs/endpoint-map.mdx`; None where
it says "No Replacement Planned"); `tests/mappings/test_replacements.py` keeps the two equal.
v1.1 endpoints the map leaves out come from tweepy 3.10's `api.py` (its v1.1 bindings), with
the replacement the map's section for them names (Direct Messages, Media, Trends) or none (Geo,
account settings, help). Which replacements the shim already translates is computed from
`mappings.ENDPOINTS`, never listed twice.
"""

from collections.abc import Mapping

from mappings import ENDPOINTS, uploads
from mappings.unserved import UNSERVED, name

OTHER = "other"
"""Every call whose path is no v1.1 endpoint's (a typo, a probe, a /2/ call), as one row."""

POSTS, TIMELINES, RETWEETS = "Posts lookup", "Timelines", "Retweets lookup"
USERS, FOLLOWS, RELATIONS = "Users lookup", "Follows lookup", "Connection_status"
MEMBERS, LIST_FOLLOWS = "List members", "Lists follows"
DMS, MANAGE_DMS, MEDIA = "Direct Messages lookup", "Manage Direct Messages", "Media Upload"

REPLACEMENTS: Mapping[str, str | None] = {
    # Posts
    "GET statuses/show": POSTS,
    "GET statuses/show/:id": POSTS,
    "GET statuses/lookup": POSTS,
    "POST statuses/lookup": POSTS,
    "POST statuses/update": "Manage Posts",
    "POST statuses/destroy/:id": "Manage Posts",
    "GET statuses/user_timeline": TIMELINES,
    "GET statuses/mentions_timeline": TIMELINES,
    "GET statuses/home_timeline": TIMELINES,
    "GET search/tweets": "Search Tweets",
    "GET statuses/filter": "Filtered stream",
    "GET statuses/sample": "Volume stream",
    "GET statuses/retweeters/ids": RETWEETS,
    "GET statuses/retweets/:id": RETWEETS,
    "POST statuses/retweet/:id": "Manage Retweets",
    "POST statuses/unretweet/:id": "Manage Retweets",
    "GET favorites/list": "Likes lookup",
    "POST favorites/create": "Manage Likes",
    "POST favorites/destroy": "Manage Likes",
    "GET statuses/oembed": None,
    "GET statuses/retweets_of_me": None,
    # Users
    "GET users/show": USERS,
    "GET users/lookup": USERS,
    "POST users/lookup": USERS,
    "GET users/search": "Get user/search",
    "GET followers/ids": FOLLOWS,
    "GET followers/list": FOLLOWS,
    "GET friends/ids": FOLLOWS,
    "GET friends/list": FOLLOWS,
    "GET friendships/incoming": RELATIONS,
    "GET friendships/lookup": RELATIONS,
    "GET friendships/no_retweets/ids": RELATIONS,
    "GET friendships/outgoing": RELATIONS,
    "GET friendships/show": RELATIONS,
    "POST friendships/create": "Manage follows",
    "POST friendships/destroy": "Manage follows",
    "POST friendships/update": None,
    "GET blocks/ids": "Blocks lookup",
    "GET blocks/list": "Blocks lookup",
    "POST blocks/create": "Manage blocks",
    "POST blocks/destroy": "Manage blocks",
    "GET mutes/users/ids": "Mutes lookup",
    "GET mutes/users/list": "Mutes lookup",
    "POST mutes/users/create": "Manage mutes",
    "POST mutes/users/destroy": "Manage mutes",
    "GET account/verify_credentials": "No Changes Planned",
    "GET saved_searches/show/:id": None,
    "GET saved_searches/list": None,
    "POST saved_searches/create": None,
    "POST saved_searches/destroy/:id": None,
    "POST users/report_spam": None,
    # Lists
    "GET lists/show": "Lists lookup",
    "POST lists/create": "Manage Lists",
    "POST lists/destroy": "Manage Lists",
    "POST lists/update": "Manage Lists",
    "GET lists/statuses": "Lists Tweets lookup",
    "GET lists/members": MEMBERS,
    "GET lists/memberships": MEMBERS,
    "POST lists/members/create": MEMBERS,
    "POST lists/members/destroy": MEMBERS,
    "GET lists/subscribers": LIST_FOLLOWS,
    "GET lists/subscriptions": LIST_FOLLOWS,
    "GET lists/list": LIST_FOLLOWS,
    "POST lists/subscribers/create": LIST_FOLLOWS,
    "POST lists/subscribers/destroy": LIST_FOLLOWS,
    "GET lists/ownerships": "Owned Lists lookup",
    "GET lists/members/show": None,
    "GET lists/subscribers/show": None,
    "POST lists/members/create_all": None,
    "POST lists/members/destroy_all": None,
    # Collections and utilities
    "GET collections/entries": None,
    "GET collections/list": None,
    "GET collections/show": None,
    "POST collections/create": None,
    "POST collections/destroy": None,
    "POST collections/entries/add": None,
    "POST collections/entries/curate": None,
    "POST collections/entries/move": None,
    "POST collections/entries/remove": None,
    "POST collections/update": None,
    "GET application/rate_limit_status": None,
    "GET help/languages": None,
    # Not in the map's v1.1 column (tweepy 3.10's v1.1 bindings): its sections' replacements.
    "GET direct_messages/events/list": DMS,
    "GET direct_messages/events/show": DMS,
    "POST direct_messages/events/new": MANAGE_DMS,
    "DELETE direct_messages/events/destroy": MANAGE_DMS,
    "POST media/upload": MEDIA,
    "GET media/upload": MEDIA,  # command=STATUS
    "POST media/metadata/create": MEDIA,
    "GET trends/place": "Trends v2",
    "GET trends/available": None,
    "GET trends/closest": None,
    "GET geo/id/:id": None,
    "GET geo/reverse_geocode": None,
    "GET geo/search": None,
    "GET account/settings": None,
    "POST account/update_profile": None,
    "POST account/update_profile_banner": None,
    "POST account/update_profile_image": None,
    "GET help/configuration": None,
}

TRANSLATED = (
    frozenset(f"{method} {endpoint.name}" for endpoint in ENDPOINTS for method in endpoint.methods)
    | uploads.CALLS
)
"""The calls the shim translates to v2 itself (`mappings.ENDPOINTS`, and the media uploads)."""
WITHDRAWN = {f"{method} {name(path)}": why for (method, path), why in UNSERVED.items()}
"""The calls v2 cannot serve on self-serve access, and why (`mappings.unserved`)."""

# Exact names, and the shapes with an id's segment, as (method, segments) with None for `:id`.
_SEGMENTS = {tuple(call.replace(" ", "/").split("/")): call for call in REPLACEMENTS}
_SHAPES = [
    (tuple(None if part == ":id" else part for part in segments), call)
    for segments, call in _SEGMENTS.items()
    if ":id" in segments
]


def endpoint_of(method: str, path: str) -> str:
    """`GET /1.1/statuses/show/20.json` → `GET statuses/show/:id`, as the map writes it; `OTHER`
    for a call no v1.1 endpoint is."""
    if not path.startswith("/1.1/"):
        return OTHER
    segments = (method, *path.removeprefix("/1.1/").removesuffix(".json").split("/"))
    exact = _SEGMENTS.get(segments)
    if exact is not None and ":id" not in exact:
        return exact
    for shape, call in _SHAPES:
        if len(shape) == len(segments) and all(
            want is None or want == got for want, got in zip(shape, segments, strict=True)
        ):
            return call
    return OTHER


def advice(call: str) -> str:
    """What to route next for a call that v1.1 served: its v2 replacement, and whether the
    shim already translates it."""
    if call in TRANSLATED:
        return "translated by the shim: route it to v2"
    if call in WITHDRAWN:
        return f"none on self-serve access ({WITHDRAWN[call]})"
    replacement = REPLACEMENTS.get(call)
    if replacement is None:
        return "none" if call in REPLACEMENTS else "unknown: not a v1.1 endpoint"
    return f"{replacement} (not translated by the shim: call v2 from the app)"
