"""v1.1's Tweet reads by id over v2's Tweet lookups: `statuses/show` (`?id=` or `/:id`) →
`GET /2/tweets/:id`, and `statuses/lookup` → `GET /2/tweets?ids=`, each answered with whole v1.1
Tweets (`statuses`).

v1.1 answered a Tweet that is not there 404, code 144, and a protected account's 403, code 179
(mappings/errors.py); statuses/lookup left both out, or gave them `null` with `map=true`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mappings.errors import V11Error, raise_for_v2, rate_limit_headers
from mappings.params import number
from mappings.statuses import Rendering, parse_rendering, tweet_params, v11_statuses
from mappings.tweets import TWEET_LOOKUP
from mappings.types import Caller, Flow, Known, V2Call, V11Reply, V11Request

MISSING, HIDDEN = 144, 179
MOST_IDS = 100  # v1.1's limit per statuses/lookup call, and v2's per /2/tweets call
NO_ID = "id parameter is missing."  # code 38: "the <named> parameter is missing"


@dataclass(frozen=True, slots=True)
class Show:
    """A statuses/show request, checked: which Tweet, and how to render it."""

    tweet_id: str
    rendering: Rendering


@dataclass(frozen=True, slots=True)
class Lookup:
    """A statuses/lookup request, checked: the ids in the order asked, each once."""

    ids: tuple[str, ...]
    mapped: bool
    rendering: Rendering


def parse_show(request: V11Request, known: Known) -> Show:
    value = request.param("id")
    if value is None:
        raise V11Error(38, NO_ID)
    tweet_id = number(value)
    if tweet_id is None:
        raise V11Error(MISSING)  # no Tweet has such an id
    return Show(str(tweet_id), parse_rendering(request))


def show(request: Show, caller: Caller) -> Flow:
    """GET /1.1/statuses/show.json?id= or /1.1/statuses/show/:id.json → GET /2/tweets/:id."""
    path = f"/2/tweets/{request.tweet_id}"
    (found,) = yield (V2Call("GET", path, tweet_params(), access=TWEET_LOOKUP),)
    raise_for_v2(found, unknown_user=MISSING, hidden=HIDDEN)
    body: Mapping[str, Any] = found.body if isinstance(found.body, dict) else {}
    tweets = v11_statuses({**body, "data": [body.get("data")]}, request.rendering)
    if not tweets:
        raise V11Error(131)
    return V11Reply(200, tweets[0], rate_limit_headers(found))


def parse_lookup(request: V11Request, known: Known) -> Lookup:
    """Comma-separated ids, each once; ones that cannot name a Tweet are answered as missing."""
    given = request.param("id")
    if given is None:
        raise V11Error(38, NO_ID)
    ids: dict[str, None] = {}
    for term in given.split(","):
        tweet_id = number(term.strip())
        if tweet_id is not None:
            ids[str(tweet_id)] = None
            if len(ids) > MOST_IDS:
                raise V11Error(18)
    mapped = request.param("map") in ("true", "t", "1")
    return Lookup(tuple(ids), mapped, parse_rendering(request))


def lookup(request: Lookup, caller: Caller) -> Flow:
    """GET|POST /1.1/statuses/lookup.json → GET /2/tweets?ids=: the Tweets found, in the order
    asked; with `map=true`, `{"id": {id: Tweet or null}}` for every id asked."""
    found: list[dict[str, Any]] = []
    headers: dict[str, str] = {}
    if request.ids:
        params = (("ids", ",".join(request.ids)), *tweet_params())
        (reply,) = yield (V2Call("GET", "/2/tweets", params, access=TWEET_LOOKUP),)
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise_for_v2(reply)
            raise V11Error(131)
        # Ids v2 did not find come back in `errors`, beside the rest: left out, as v1.1 did.
        found = v11_statuses(reply.body, request.rendering)
        headers = rate_limit_headers(reply)
    if not request.mapped:
        return V11Reply(200, found, headers)
    by_id = {tweet["id_str"]: tweet for tweet in found}
    return V11Reply(200, {"id": {i: by_id.get(i) for i in request.ids}}, headers)
