"""Retweeting and liking a Tweet over v2: `POST /2/users/:id/<action> {"tweet_id"}` and `DELETE
/2/users/:id/<action>/:tweet_id` (tweepy's recordings test_client_retweet_and_unretweet and
test_client_like_and_unlike), answered as v1.1 did with a whole Tweet (`statuses`).

v2 answers only `{"data":{"liked":true}}` or `{"retweeted":…}`, so the Tweet is read as well,
in the same batch as the change (they do not depend on each other, and a Tweet not there is
told by the read, 144): `favorites/create` and
`destroy` answer the liked Tweet with `favorited` as the change left it (testcreatedestroyfavorite:
true, then false), `statuses/unretweet/:id` the original with `retweeted: false`. v1.1's
`statuses/retweet/:id` answered the new retweet, `retweeted_status` holding the original
(testretweetandunretweet); v2 does not say the retweet's id, so it is found among the caller's
newest Tweets, and where it is not there (or that read is refused: a timeline read may be
beyond the app's plan), the original is answered, `retweeted: true`.
"""

from dataclasses import dataclass

from mappings.errors import V11Error, raise_for_v2, tightest
from mappings.statuses import tweet_params, v11_statuses
from mappings.tweet_lookups import HIDDEN, MISSING, Show
from mappings.tweet_writes import raise_for_tweeting, read_call, rendered
from mappings.tweets import referenced
from mappings.types import Access, Caller, Flow, V2Call, V2Reply, V11Reply

NEWEST = "5"  # the fewest Tweets v2's user timeline gives a page of; a retweet just made is first
OWN_TWEETS = Access("the user's Tweets", write=False, probe="/2/users/{id}/tweets?max_results=5")
"""Reading a user's timeline (`GET /2/users/:id/tweets`)."""


@dataclass(frozen=True, slots=True)
class Action:
    """A change to the caller's relation to a Tweet: v2's name for it (its path and the field of
    its answer), the access it needs, the v1.1 flag it sets on the Tweet, and whether making
    it may be sent again (liking a liked Tweet leaves it liked)."""

    name: str
    access: Access
    flag: str
    repeatable: bool


LIKES = Action("likes", Access("liking", write=True), "favorited", repeatable=True)
RETWEETS = Action("retweets", Access("retweeting", write=True), "retweeted", repeatable=False)


def like(request: Show, caller: Caller) -> Flow:
    """POST /1.1/favorites/create.json → POST /2/users/:id/likes and GET /2/tweets/:id."""
    return _changed(LIKES, request, _make(LIKES, caller, request.tweet_id), True)


def unlike(request: Show, caller: Caller) -> Flow:
    """POST /1.1/favorites/destroy.json → DELETE /2/users/:id/likes/:tweet_id and the read."""
    return _changed(LIKES, request, _undo(LIKES, caller, request.tweet_id), False)


def unretweet(request: Show, caller: Caller) -> Flow:
    """POST /1.1/statuses/unretweet/:id.json → DELETE /2/users/:id/retweets/:tweet_id and the
    read of the original."""
    return _changed(RETWEETS, request, _undo(RETWEETS, caller, request.tweet_id), False)


def retweet(request: Show, caller: Caller) -> Flow:
    """POST /1.1/statuses/retweet/:id.json → POST /2/users/:id/retweets with the original's read
    (GET /2/tweets/:id), then the retweet among the caller's newest Tweets (GET /2/users/:id/
    tweets); where it is not there, the original, `retweeted: true`."""
    done, original = yield (_make(RETWEETS, caller, request.tweet_id), read_call(request.tweet_id))
    _raise_for_either(done, original)
    params = (("max_results", NEWEST), *tweet_params())
    path = f"/2/users/{caller.user_id}/tweets"
    (newest,) = yield (V2Call("GET", path, params, access=OWN_TWEETS),)
    body = newest.body if newest.status == 200 and isinstance(newest.body, dict) else {}
    found = body.get("data")
    mine = [t for t in (found if isinstance(found, list) else []) if _retweets(t, request.tweet_id)]
    tweets = v11_statuses({**body, "data": mine[:1]}, request.rendering)
    if not tweets:
        return _answer(RETWEETS, request, original, True, (done, original, newest))
    tweet = tweets[0]
    tweet["retweeted"] = True
    if "retweeted_status" in tweet:
        tweet["retweeted_status"]["retweeted"] = True
    return V11Reply(200, tweet, tightest((done, original, newest)))


def _retweets(tweet: object, tweet_id: str) -> bool:
    return isinstance(tweet, dict) and referenced(tweet, "retweeted") == tweet_id


def _changed(action: Action, request: Show, change: V2Call, state: bool) -> Flow:
    done, found = yield (change, read_call(request.tweet_id))
    _raise_for_either(done, found)
    return _answer(action, request, found, state, (done, found))


def _raise_for_either(done: V2Reply, found: V2Reply) -> None:
    # A Tweet that is not there explains a failed change better than the change's own error.
    if found.status == 200:
        raise_for_v2(found, unknown_user=MISSING, hidden=HIDDEN)
    raise_for_tweeting(done)


def _answer(
    action: Action, request: Show, found: V2Reply, state: bool, replies: tuple[V2Reply, ...]
) -> V11Reply:
    raise_for_v2(found, unknown_user=MISSING, hidden=HIDDEN)
    tweets = rendered(found, request.rendering)
    if not tweets:
        raise V11Error(131)
    tweets[0][action.flag] = state  # the key is there already: v1.1's order is kept
    return V11Reply(200, tweets[0], tightest(replies))


def _make(action: Action, caller: Caller, tweet_id: str) -> V2Call:
    path = f"/2/users/{caller.user_id}/{action.name}"
    body = {"tweet_id": tweet_id}
    return V2Call("POST", path, json=body, repeatable=action.repeatable, access=action.access)


def _undo(action: Action, caller: Caller, tweet_id: str) -> V2Call:
    path = f"/2/users/{caller.user_id}/{action.name}/{tweet_id}"
    return V2Call("DELETE", path, access=action.access)
