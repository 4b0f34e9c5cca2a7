"""What each endpoint's row and calls say of v2 access and of comparing: probes for the reads
`shim check` tries, refusals that name the refused call's own kind, and only idempotent writes
compared."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from mappings import ENDPOINTS
from mappings.endpoints import Done, Endpoint, run
from mappings.errors import ACCESS_CODES
from mappings.relations import parse_change
from mappings.types import Access, Caller, Flow, Known, Steps, V2Call, V2Reply, V11Reply, V11Request
from tests.fakes import ERRORS, minimal_user, twitter_user

ME = Caller("1500000000000000001")
TIER = V2Reply(403, {}, ERRORS["tier_without_access"])
# Per endpoint: a request it accepts, and the kind of access its first v2 call needs. A new
# row fails `test_every_row_is_here` until it is added.
FIRST_CALL = {
    "statuses/show": ({"id": "20"}, "tweet lookup"),
    "statuses/show/:id": ({"id": "20"}, "tweet lookup"),
    "statuses/lookup": ({"id": "20,21"}, "tweet lookup"),
    "statuses/update": ({"status": "hi"}, "tweeting"),
    "statuses/destroy/:id": ({"id": "20"}, "tweet lookup"),
    "statuses/retweet/:id": ({"id": "20"}, "retweeting"),
    "statuses/unretweet/:id": ({"id": "20"}, "retweeting"),
    "favorites/create": ({"id": "20"}, "liking"),
    "favorites/destroy": ({"id": "20"}, "liking"),
    "search/tweets": ({"q": "twitter"}, "recent search"),
    "statuses/user_timeline": ({"screen_name": "Twitter"}, "user lookup by username"),
    "statuses/home_timeline": ({}, "home timeline"),
    "statuses/mentions_timeline": ({}, "user mention timeline"),
    "favorites/list": ({"user_id": "783214"}, "liked Tweets"),
    "mutes/users/create": ({"user_id": "783214"}, "muting"),
    "mutes/users/destroy": ({"user_id": "783214"}, "user lookup by id"),
    "mutes/users/ids": ({}, "the mute list"),
    "mutes/users/list": ({}, "the mute list"),
    "blocks/ids": ({}, "the block list"),
    "blocks/list": ({}, "the block list"),
    "friends/ids": ({}, "the following list"),
    "friends/list": ({"screen_name": "twitter"}, "user lookup by username"),
    "followers/ids": ({"user_id": "783214"}, "the followers list"),
    "followers/list": ({}, "the followers list"),
    "account/verify_credentials": ({}, "the caller's own user"),
    "users/show": ({"screen_name": "twitter"}, "user lookup by username"),
    "users/lookup": ({"user_id": "783214"}, "user lookup by id"),
    "friendships/lookup": ({"screen_name": "twitter"}, "user lookup by username"),
    "friendships/create": ({"user_id": "783214"}, "following"),
    "friendships/destroy": ({"user_id": "783214"}, "following"),
    "friendships/show": ({"target_screen_name": "twitter"}, "user lookup by username"),
}


def request(endpoint: Endpoint[Any]) -> V11Request:
    params, _ = FIRST_CALL[endpoint.name]
    return V11Request(endpoint.methods[0], endpoint.path, tuple(params.items()))


def answered(steps: Steps[Done], answer: Callable[[V2Call], V2Reply]) -> tuple[Done, list[V2Call]]:
    """Play the steps to their end, each call answered by `answer`; the calls they made."""
    calls: list[V2Call] = []
    try:
        batch = next(steps)
        for _ in range(10):  # no flow takes more rounds
            calls += batch
            batch = steps.send(tuple(answer(call) for call in batch))
    except StopIteration as done:
        return done.value, calls
    raise AssertionError(f"the flow still wants {batch}")


def agreeing(call: V2Call) -> V2Reply:
    """v2 doing what is asked: a write done (a Tweet posted), a user found with every relation
    there, a Tweet found, the caller's."""
    if call.path == "/2/tweets" and call.method == "POST":
        return V2Reply(201, {}, {"data": {"id": "20", "text": "hi"}})
    if call.access.write:
        relation = call.path.split("/")[4:5]  # /2/users/:id/<relation>[/:target]
        return V2Reply(200, {}, {"data": dict.fromkeys(relation, call.method == "POST")})
    if call.path == "/2/users/me":
        return V2Reply(200, {}, minimal_user(ME.user_id, "me"))
    if call.path.startswith("/2/tweets"):
        tweet = {
            "id": "20",
            "text": "just setting up my twttr",
            "created_at": "2006-03-21T20:50:14.000Z",
            "author_id": ME.user_id,
        }
        listed = call.path in ("/2/tweets", "/2/tweets/search/recent")
        return V2Reply(200, {}, {"data": [tweet] if listed else tweet})
    user = twitter_user()
    user["data"]["connection_status"] = ["following", "blocking", "muting"]
    # Lookups of several users and lists (/2/users/:id/<relation>) answer a list of them.
    if call.path in ("/2/users", "/2/users/by") or len(call.path.split("/")) == 5:
        return V2Reply(200, {}, {"data": [user["data"]], "meta": {"result_count": 1}})
    return V2Reply(200, {}, user)


def test_every_row_is_here():
    assert set(FIRST_CALL) == {endpoint.name for endpoint in ENDPOINTS}


def test_every_read_has_a_probe_and_no_write_has_one():
    """`shim check` tries each kind the rows need by its probe: a read it cannot try would be
    reported allowed unasked, and a write is never tried (a probe must change nothing)."""
    kinds = {access for endpoint in ENDPOINTS for access in endpoint.access}

    writes = {kind.name for kind in kinds if kind.write}
    assert writes == {"muting", "following", "tweeting", "retweeting", "liking"}
    for kind in kinds:
        assert bool(kind.probe) != kind.write, kind
        assert kind.write or kind.probe.startswith("/2/"), kind
    assert len({kind.name for kind in kinds}) == len(kinds)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_refusal_names_the_kind_of_access_the_refused_call_needs(endpoint: Endpoint[Any]):
    done, calls = answered(run(endpoint, request(endpoint), Known(ME)), lambda call: TIER)
    kind = FIRST_CALL[endpoint.name][1]

    assert done.error is not None
    assert done.error.code in ACCESS_CODES
    assert f"do not include {kind}." in done.error.message
    assert kind in {access.name for access in endpoint.access}
    assert calls[0].access.name == kind


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_every_call_needs_a_kind_of_access_its_row_names(endpoint: Endpoint[Any]):
    """The row's kinds are what `shim check` probes: a call needing another would go unchecked."""
    done, calls = answered(run(endpoint, request(endpoint), Known(ME)), agreeing)

    assert done.error is None
    assert {call.access for call in calls} <= set(endpoint.access)


def idempotent(endpoint: Endpoint[Any]) -> bool:
    """Whether the endpoint's v2 writes may be sent twice: each is idempotent (`V2Call`), so
    the version called second in compare mode leaves what the first left (it may answer
    otherwise, as unmute's 272 does: a known difference, not a change)."""
    _, calls = answered(run(endpoint, request(endpoint), Known(ME)), agreeing)
    return all(call.idempotent for call in calls if call.access.write)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_only_idempotent_writes_are_comparable(endpoint: Endpoint[Any]):
    writes = any(access.write for access in endpoint.access)

    assert idempotent(endpoint) or not (writes and endpoint.comparable)


def test_a_write_that_is_not_idempotent_is_told_apart():
    """The check above can fail: a write that POSTs a new thing each time is not idempotent."""
    tweeting = Access("tweeting", write=True)

    def tweet(change: object, caller: Caller) -> Flow:
        (_posted,) = yield (V2Call("POST", "/2/tweets", json={"text": "hi"}, access=tweeting),)
        return V11Reply(200, {})

    row = replace(ENDPOINTS[0], parse=parse_change, flow=tweet, access=(tweeting,))

    assert not idempotent(row)
    assert idempotent(ENDPOINTS[0])
