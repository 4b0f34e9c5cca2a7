"""v1.1's timelines over v2's, each a JSON array of v1.1 Tweets, newest first (`statuses`):
`statuses/user_timeline` → `GET /2/users/:id/tweets`, `statuses/home_timeline` →
`GET /2/users/:id/timelines/reverse_chronological`, `statuses/mentions_timeline` →
`GET /2/users/:id/mentions`, `favorites/list` → `GET /2/users/:id/liked_tweets`. One flow serves
them all; a `Timeline` says what differs.

v1.1 paged by Tweet ids: `since_id` (newer than, exclusive) and `max_id` (older than or equal
to, inclusive; X's v1.1 reference, GET statuses/user_timeline). v2's `since_id` is the same; its
`until_id` is exclusive ("less than (that is, older than)", X's v2 reference as the
twitter_api_v2 package's documentation copies it), so
`max_id` becomes `until_id = max_id + 1`: a client that pages with `max_id = oldest - 1` (tweepy's
Cursor, a tweet deleter) gets every Tweet once. v1.1's `count` (20 by default, at most 200) may
take several v2 pages (v2 holds `least` to 100 a page), one after the other (each needs the
token the one before gave). v2's liked Tweets page by token only: there `since_id`/`max_id`
filter the Tweets fetched (docs/differences.md).

v1.1 answered a timeline of a user that does not exist 404, code 34 (StanScates/Tweet.js-Mod
issue 4, 2013: user_timeline of a deleted account; tweepy issue 1264, 2019), and one of a
protected user the caller does not follow 401 "Not authorized." (ropensci/rtweet's recorded
favorites/list, `get_favorites3.json`, 2022).
"""

from dataclasses import dataclass
from typing import Any

from mappings.errors import NOT_AUTHORIZED, UNKNOWN_USER, raise_for_v2, tightest
from mappings.lists import owner_id
from mappings.params import LEGACY_ID, USER, Target, is_true, number, parse_target
from mappings.statuses import Rendering, parse_rendering, tweet_params, v11_statuses
from mappings.tweet_actions import OWN_TWEETS
from mappings.types import Access, Caller, Flow, Known, Steps, V2Call, V2Reply, V11Reply, V11Request

UNKNOWN = UNKNOWN_USER["list"]  # 34, as above
DEFAULT_COUNT, MOST = 20, 200  # v1.1's count
V2_PAGE = 100  # the most Tweets one v2 timeline page holds
LARGEST_ID = 2**63 - 1  # v1.1's ids were signed 64-bit: no Tweet is above


@dataclass(frozen=True, slots=True)
class Timeline:
    """A timeline as v2 keeps it: the path after `/2/users/:id/`, the access reading it needs,
    whether v1.1 let the request name whose timeline (else only the caller's), the fewest
    Tweets a v2 page may be asked for, whether v2 takes `since_id`/`until_id` (else they filter
    what was fetched), and whether v2 takes `exclude` (replies, retweets)."""

    segment: str
    access: Access
    of_anyone: bool
    least: int
    by_id: bool = True
    excludes: bool = False


USER_TWEETS = Timeline(
    "tweets",
    OWN_TWEETS,  # the access a retweet's answer needs too
    of_anyone=True,
    least=5,
    excludes=True,
)
HOME = Timeline(
    "timelines/reverse_chronological",
    Access(
        "home timeline",
        write=False,
        probe="/2/users/{id}/timelines/reverse_chronological?max_results=1",
    ),
    of_anyone=False,
    least=1,
    excludes=True,
)
MENTIONS = Timeline(
    "mentions",
    Access("user mention timeline", write=False, probe="/2/users/{id}/mentions?max_results=5"),
    of_anyone=False,
    least=5,
)
LIKED = Timeline(
    "liked_tweets",
    Access("liked Tweets", write=False, probe="/2/users/{id}/liked_tweets?max_results=10"),
    of_anyone=True,
    least=10,
    by_id=False,
)


@dataclass(frozen=True, slots=True)
class Reading:
    """A timeline request, checked: whose (None: the caller's), how many, which ids, what to
    leave out (v2's `exclude` words) and how to render."""

    owner: Target | None
    count: int
    since_id: int | None
    max_id: int | None
    exclude: tuple[str, ...]
    rendering: Rendering


def parse(timeline: Timeline, request: V11Request, known: Known) -> Reading:
    """v1.1 ignored a count or an id it could not read, and clamped a count to 1..200."""
    count = number(request.param("count"))
    count = DEFAULT_COUNT if count is None else min(max(count, 1), MOST)
    named = any(request.param(name) is not None for name in (*USER, LEGACY_ID))
    exclude: tuple[str, ...] = ()
    if timeline.excludes:
        exclude = tuple(
            word
            for word, wanted in (
                ("replies", is_true(request.param("exclude_replies"))),
                # include_rts was on unless turned off (v1.1 documented "false" for it).
                ("retweets", request.param("include_rts") in ("false", "f", "0")),
            )
            if wanted
        )
    return Reading(
        parse_target(request, UNKNOWN) if timeline.of_anyone and named else None,
        count,
        number(request.param("since_id")) or None,
        number(request.param("max_id")) or None,
        exclude,
        parse_rendering(request),
    )


def timeline(timeline: Timeline, reading: Reading, caller: Caller) -> Flow:
    """The newest `count` Tweets of the timeline within the ids asked, as v1.1 Tweets."""
    if reading.since_id and reading.max_id and reading.since_id >= reading.max_id:
        return V11Reply(200, [])  # no id is both above since_id and at most max_id: no call
    owner = yield from owner_id(reading.owner, caller, UNKNOWN)
    data, includes, replies = yield from _pages(timeline, reading, owner)
    tweets = v11_statuses({"data": data, "includes": includes}, reading.rendering)
    # Several v2 calls: the window that will refuse first (docs/differences.md).
    return V11Reply(200, tweets[: reading.count], tightest(replies))


def _pages(
    timeline: Timeline, reading: Reading, owner: str
) -> Steps[tuple[list[Any], dict[str, list[Any]], list[V2Reply]]]:
    """The Tweets and includes of as many v2 pages as `count` needs, and their replies."""
    path = f"/2/users/{owner}/{timeline.segment}"
    ids = _id_params(reading) if timeline.by_id else ()
    exclude = (("exclude", ",".join(reading.exclude)),) if reading.exclude else ()
    data: list[Any] = []
    includes: dict[str, list[Any]] = {}
    replies: list[V2Reply] = []
    token: object = None
    # Each call adds up to V2_PAGE Tweets: no more calls than the count needs, whatever v2 says.
    for _ in range(-(-reading.count // V2_PAGE)):
        size = max(timeline.least, min(reading.count - len(data), V2_PAGE))
        params = [("max_results", str(size)), *ids, *exclude]
        if isinstance(token, str):
            params.append(("pagination_token", token))
        call = V2Call("GET", path, (*params, *tweet_params()), access=timeline.access)
        (reply,) = yield (call,)
        raise_for_v2(reply, unknown_user=UNKNOWN, hidden=NOT_AUTHORIZED)
        replies.append(reply)
        body: dict[str, Any] = reply.body if isinstance(reply.body, dict) else {}
        found = body.get("data", [])
        found = found if isinstance(found, list) else []
        data += found if timeline.by_id else [t for t in found if _within(t, reading)]
        for kind, items in (body.get("includes") or {}).items():
            if isinstance(items, list):
                includes.setdefault(kind, []).extend(items)
        meta = body.get("meta")
        token = meta.get("next_token") if isinstance(meta, dict) else None
        if not isinstance(token, str) or not token or len(data) >= reading.count:
            break
    return data, includes, replies


def _id_params(reading: Reading) -> tuple[tuple[str, str], ...]:
    """v2's since_id and until_id for v1.1's since_id and inclusive max_id."""
    params: list[tuple[str, str]] = []
    if reading.since_id is not None:
        params.append(("since_id", str(reading.since_id)))
    if reading.max_id is not None and reading.max_id < LARGEST_ID:
        params.append(("until_id", str(reading.max_id + 1)))
    return tuple(params)


def _within(tweet: object, reading: Reading) -> bool:
    """Whether a fetched Tweet is within v1.1's since_id and max_id (where v2 cannot ask)."""
    tweet_id = number(tweet.get("id")) if isinstance(tweet, dict) else None
    if tweet_id is None:
        return False
    return (reading.since_id is None or tweet_id > reading.since_id) and (
        reading.max_id is None or tweet_id <= reading.max_id
    )
