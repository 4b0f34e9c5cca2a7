"""`GET search/tweets` over v2's recent search (`GET /2/tweets/search/recent`), answered as
v1.1 did: `{"statuses": [...], "search_metadata": {...}}` (tweepy's real `testsearchtweets.json`,
2019: its keys and their order, `next_results` as `?max_id=…&q=…&include_entities=1`, which
tweepy's Cursor and other clients page with, and each status's `metadata`).

The query is rewritten by `search_query`; what it cannot rewrite, or an empty `q`, is refused
before any v2 call. Both versions searched the last seven days only, so the windows agree.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from mappings.errors import V11Error, raise_for_v2, tightest
from mappings.params import number
from mappings.search_query import QueryError, day, rewrite
from mappings.statuses import Rendering, parse_rendering, tweet_params, v11_statuses
from mappings.types import Access, Caller, Flow, Known, V2Call, V2Reply, V11Reply, V11Request

SEARCH = Access(
    "recent search", write=False, probe="/2/tweets/search/recent?query=twitter&max_results=10"
)
"""Searching the last seven days' Tweets (`GET /2/tweets/search/recent`)."""

PATH = "/2/tweets/search/recent"
DEFAULT_COUNT, MOST_COUNT = 15, 100  # v1.1's `count`: 15 unless asked, at most 100
V2_LEAST = 10  # v2's `max_results` is 10 to 100: fewer are asked as 10 and cut
NO_QUERY = 25  # v1.1's 400 "Query parameters are missing." (errors.py)
INVALID = 195
LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z]{2,4})?")
# v1.1's `result_type`: `popular` asked for the most engaged Tweets, which v2's relevancy order
# comes nearest to; `mixed` (v1.1's default) and `recent` are v2's recency order.
RELEVANCY = "popular"
ECHOED = ("lang", "count", "result_type")  # the request's own parameters v1.1's links kept
BOUNDS = ("start_time", "end_time", "since_id", "until_id")
OLDER, LATER = "older", "later"
# v2's words for a bound before its seven days (a time, an id), and for an end in the future.
SIDES = {OLDER: ("must be on or after", "created after"), LATER: ("prior to the request time",)}
# Bounds that leave nothing to find: an end before the window, a start after now. Any other
# bound outside the window bounds nothing.
NOTHING_LEFT = {("end_time", OLDER), ("until_id", OLDER), ("start_time", LATER)}


@dataclass(frozen=True, slots=True)
class Search:
    """A search/tweets request, checked: the v2 query and parameters, and how to answer."""

    q: str
    params: tuple[tuple[str, str], ...]
    count: int
    since_id: int
    echoed: tuple[tuple[str, str], ...]
    rendering: Rendering


def parse(request: V11Request, known: Known) -> Search:
    q = request.param("q")
    if q is None or not q.strip():
        raise V11Error(NO_QUERY)
    if request.param("geocode") is not None:
        # v2's nearest operator, point_radius:, is only for Pro and Enterprise access.
        raise V11Error(INVALID, "geocode: API v2's recent search cannot search by place.")
    lang = request.param("lang")
    if lang is not None and not LANG.fullmatch(lang):
        raise V11Error(INVALID, "lang: takes a language code such as en.")
    try:
        query = rewrite(q, also=(f"lang:{lang}",) if lang else ())
    except QueryError as error:
        raise V11Error(INVALID, f"q: {error}") from None
    params = dict(query.params)
    since_id = _id(request, "since_id")
    max_id = _id(request, "max_id")
    if since_id is not None:
        params["since_id"] = str(max(since_id, int(params.get("since_id", 0))))
    if max_id is not None:
        # v1.1's max_id is inclusive, v2's until_id exclusive: one more.
        params["until_id"] = str(min(max_id + 1, int(params.get("until_id", max_id + 1))))
    until = request.param("until")
    if until is not None and "end_time" not in params:
        try:
            params["end_time"] = day(until, "until")
        except QueryError as error:
            raise V11Error(INVALID, str(error)) from None
    count = number(request.param("count"), 3)
    count = min(max(count or DEFAULT_COUNT, 1), MOST_COUNT)
    ordered = [("query", query.text), ("max_results", str(max(count, V2_LEAST)))]
    ordered += sorted(params.items())
    if request.param("result_type") == RELEVANCY:
        ordered.append(("sort_order", "relevancy"))
    echoed = tuple((k, v) for k in ECHOED if (v := request.param(k) or ""))
    return Search(q, tuple(ordered), count, since_id or 0, echoed, parse_rendering(request))


def search(request: Search, caller: Caller) -> Flow:
    """GET /1.1/search/tweets.json → GET /2/tweets/search/recent. Both versions searched the
    last seven days, but v1.1 took bounds outside them and v2 refuses them (400): a start
    before the window or an end after now bounds nothing, so it is left out and the search
    asked again; an end before the window or a start after now leaves nothing to find."""
    call = V2Call("GET", PATH, (*request.params, *tweet_params()), access=SEARCH)
    (reply,) = yield (call,)
    replies = [reply]
    outside = _outside(reply)
    if outside is not None:
        if outside & NOTHING_LEFT:
            return V11Reply(200, _answer(request, {}), tightest(replies))
        dropped = {name for name, _ in outside}
        params = tuple((k, v) for k, v in call.params if k not in dropped)
        (reply,) = yield (V2Call("GET", PATH, params, access=SEARCH),)
        replies.append(reply)
    if reply.status == 400 and isinstance(reply.body, dict):
        raise V11Error(INVALID, f"API v2 refused the search: {_detail(reply.body)}")
    raise_for_v2(reply)
    body: Mapping[str, Any] = reply.body if isinstance(reply.body, dict) else {}
    return V11Reply(200, _answer(request, body), tightest(replies))


def _answer(request: Search, body: Mapping[str, Any]) -> dict[str, Any]:
    found = v11_statuses(body, request.rendering)
    statuses = [_with_metadata(tweet) for tweet in found[: request.count]]
    more = len(found) > request.count or bool(body.get("meta", {}).get("next_token"))
    return {"statuses": statuses, "search_metadata": _metadata(request, statuses, more)}


def _outside(reply: V2Reply) -> set[tuple[str, str]] | None:
    """The bounds a v2 400 refused for lying outside its window, each with which side (OLDER,
    LATER), when that is all it refused; else None. v2 says so in each error's message:
    "Invalid 'start_time':'…'. 'start_time' must be on or after 2025-01-17T09:13Z" (quoted in
    public code and issues; see docs/differences.md)."""
    errors = reply.body.get("errors") if isinstance(reply.body, dict) else None
    if reply.status != 400 or not isinstance(errors, list) or not errors:
        return None
    found = set()
    for error in errors:
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        side = next((s for s, words in SIDES.items() if any(w in message for w in words)), None)
        names = [n for n in BOUNDS if f"'{n}'" in message]
        if side is None or len(names) != 1:
            return None
        found.add((names[0], side))
    return found


def _metadata(request: Search, statuses: list[dict[str, Any]], more: bool) -> dict[str, Any]:
    """v1.1's `search_metadata`, in the recording's order; `next_results` where there is more
    (the oldest id shown less one), `refresh_url` from the newest. The time v1.1 took is not
    the shim's to tell: `completed_in` is 0.0."""
    newest = max((t["id"] for t in statuses), default=0)
    q = quote_plus(request.q)
    tail = "".join(f"&{k}={quote_plus(v)}" for k, v in request.echoed)
    metadata: dict[str, Any] = {"completed_in": 0.0, "max_id": newest, "max_id_str": str(newest)}
    if more and statuses:
        oldest = min(t["id"] for t in statuses) - 1
        metadata["next_results"] = f"?max_id={oldest}&q={q}{tail}&include_entities=1"
    metadata |= {
        "query": q,
        "refresh_url": f"?since_id={newest}&q={q}{tail}&include_entities=1",
        "count": request.count,
        "since_id": request.since_id,
        "since_id_str": str(request.since_id),
    }
    return metadata


def _with_metadata(tweet: dict[str, Any]) -> dict[str, Any]:
    """The Tweet with the `metadata` v1.1's search gave each one (and the one it retweets),
    placed before `source` as the recording has it; the language is v2's `lang`."""
    out: dict[str, Any] = {}
    for key, value in tweet.items():
        if key == "source":
            out["metadata"] = {"iso_language_code": tweet.get("lang"), "result_type": "recent"}
        out[key] = _with_metadata(value) if key == "retweeted_status" else value
    return out


def _id(request: V11Request, name: str) -> int | None:
    value = request.param(name)
    if value is None:
        return None
    found = number(value)
    if found is None:
        raise V11Error(INVALID, f"{name}: takes a Tweet id.")
    return found


def _detail(body: Mapping[str, Any]) -> str:
    errors = body.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return str(first.get("message") or body.get("detail") or body.get("title") or "bad request")
