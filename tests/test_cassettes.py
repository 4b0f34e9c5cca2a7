"""The app with its real v2 transport, replaying cassettes/ with vcrpy: no network, no fake.

Each test also checks that every recorded interaction was played, so the shim made exactly the
v2 calls the cassette holds.
"""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mappings.cursors import cursor_for
from shim.serving.recording import cassettes
from tests.conftest import MakeClient
from tests.fakes import ALICE, BOB, CAROL, CONSUMER_SECRET, Token, load, sign
from tests.real import knowable_differences

CASSETTES = Path(__file__).parent.parent / "cassettes"
# The settings `shim serve --record` records with, replaying only.
REPLAY = cassettes("none", str(CASSETTES))
RECORDED_FROM = "https://api.x.com"  # the upstream the cassettes were recorded from
CREATE = "http://testserver/1.1/mutes/users/create.json"
DESTROY = "http://testserver/1.1/mutes/users/destroy.json"
IDS = "http://testserver/1.1/mutes/users/ids.json"
LIST = "http://testserver/1.1/mutes/users/list.json"
VERIFY = "http://testserver/1.1/account/verify_credentials.json"


def replay(
    make_client: MakeClient,
    cassette: str,
    url: str,
    token: Token = ALICE,
    method: str = "POST",
    every_call: bool = True,
    **settings: Any,
):
    """Send a signed v1.1 request through the app while the cassette stands in for v2; unless
    told otherwise, check that the app made every call the cassette holds."""
    headers = (
        {"Authorization": f"Bearer {token.token}"} if not token.secret else sign(method, url, token)
    )
    with REPLAY.use_cassette(f"{cassette}.yaml") as played:
        client: TestClient = make_client(upstream_url=RECORDED_FROM, **settings)
        response = client.request(method, url, headers=headers)
    assert played.all_played or not every_call, f"{cassette}: the shim skipped recorded calls"
    return response


@pytest.mark.parametrize(
    ("cassette", "url", "token", "muting"),
    [
        ("mutes_create_by_user_id", f"{CREATE}?user_id=783214", ALICE, True),
        ("mutes_create_by_screen_name", f"{CREATE}?screen_name=Twitter", ALICE, True),
        ("mutes_destroy_by_user_id", f"{DESTROY}?user_id=783214", ALICE, False),
        ("mutes_destroy_by_screen_name", f"{DESTROY}?screen_name=Twitter", ALICE, False),
        ("mutes_create_token_without_user_id", f"{CREATE}?user_id=783214", BOB, True),
        ("mutes_create_oauth2_user_token", f"{CREATE}?user_id=783214", CAROL, True),
        ("mutes_create_recovers_after_503", f"{CREATE}?user_id=783214", ALICE, True),
    ],
)
def test_success_is_the_real_v11_user(make_client: MakeClient, cassette, url, token, muting):
    """The answer equals the real v1.1 object for @Twitter on every field v2 carries."""
    response = replay(make_client, cassette, url, token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    body = response.json()
    assert knowable_differences(body) == {}
    assert body["muting"] is muting
    assert response.headers["x-rate-limit-limit"] == "50"


ERRORS: list[tuple[str, str, int, int, Callable[[dict[str, str]], bool]]] = [
    ("mutes_create_unknown_screen_name", "?screen_name=nobody", 403, 108, lambda h: True),
    ("mutes_create_revoked_token", "?user_id=783214", 401, 89, lambda h: True),
    ("mutes_create_app_not_in_project", "?user_id=783214", 403, 87, lambda h: True),
    (
        "mutes_create_rate_limited",
        "?user_id=783214",
        429,
        88,
        lambda h: (
            h.get("x-rate-limit-remaining") == "0" and h.get("x-rate-limit-reset") == "1633594356"
        ),
    ),
    ("mutes_create_over_capacity", "?user_id=783214", 503, 130, lambda h: True),
    ("mutes_create_internal_error", "?user_id=783214", 500, 131, lambda h: True),
]


@pytest.mark.parametrize(("cassette", "query", "status", "code", "headers_ok"), ERRORS)
def test_v2_errors_are_v11_errors(
    make_client: MakeClient, cassette, query, status, code, headers_ok
):
    response = replay(make_client, cassette, CREATE + query, every_call=code != 130)

    assert response.status_code == status
    assert [e["code"] for e in response.json()["errors"]] == [code]
    assert headers_ok(response.headers)


def test_the_real_mute_list_as_ids(make_client: MakeClient):
    response = replay(make_client, "mutes_ids", f"{IDS}?cursor=-1", method="GET")

    assert response.json() == {
        "ids": [17874544],
        "next_cursor": 0,
        "next_cursor_str": "0",
        "previous_cursor": 0,
        "previous_cursor_str": "0",
    }
    assert response.headers["x-rate-limit-limit"] == "15"


def test_the_mute_list_as_v11_users(make_client: MakeClient):
    response = replay(make_client, "mutes_list", LIST, method="GET")

    (user,) = response.json()["users"]
    # List users also carry blocking and blocked_by (python-twitter's 2016 recording).
    assert (user.pop("blocking"), user.pop("blocked_by")) == (False, False)
    # Its status is its most recent tweet, looked up in a second call.
    assert knowable_differences(user) == {}
    assert (user["muting"], response.json()["next_cursor"]) == (True, 0)


GRAPH = "http://testserver/1.1"


def test_a_users_friends_as_v11_ids(make_client: MakeClient):
    """tweepy's real v2 page of @Twitter's 35 follows (2021), as v1.1's friends/ids."""
    recorded = load("reference/test_client_get_users_following.decoded.json")
    page = recorded["interactions"][0]["response"]["body"]
    url = f"{GRAPH}/friends/ids.json?user_id=783214"
    response = replay(make_client, "friends_ids_of_a_user", url, method="GET")

    assert response.json() == {
        "ids": [int(user["id"]) for user in page["data"]],
        "next_cursor": 0,
        "next_cursor_str": "0",
        "previous_cursor": 0,
        "previous_cursor_str": "0",
        "total_count": None,
    }
    assert response.headers["x-rate-limit-limit"] == "15"


def test_a_users_followers_page_hands_out_a_cursor(make_client: MakeClient):
    """The real page ends in a `next_token`: the answer's next cursor stands for it."""
    recorded = load("reference/test_client_get_users_followers.decoded.json")
    page = recorded["interactions"][0]["response"]["body"]
    url = f"{GRAPH}/followers/ids.json?user_id=783214&count=100&stringify_ids=true"
    response = replay(make_client, "followers_ids_first_page", url, method="GET")
    body = response.json()

    assert body["ids"] == [user["id"] for user in page["data"]]
    assert body["next_cursor"] == cursor_for(page["meta"]["next_token"])
    assert body["next_cursor_str"] == str(body["next_cursor"])


def test_pass_through_returns_v11s_own_answer(make_client: MakeClient, tmp_path: Path):
    """tweepy's real verify_credentials recording, byte for byte, with its rate-limit headers,
    where the routing file sends the endpoint to v1.1."""
    recorded = load("reference/testverifycredentials.json")["interactions"][0]["response"]
    routing = tmp_path / "routing.toml"
    routing.write_text('[routes."account/verify_credentials"]\nmode = "v1"\n')
    response = replay(
        make_client,
        "passthrough_verify_credentials",
        VERIFY,
        method="GET",
        config_path=str(routing),
    )

    assert response.status_code == 200
    assert response.text == recorded["body"]["string"]
    assert response.headers["x-rate-limit-limit"] == "75"
    assert response.headers["content-type"] == "application/json;charset=utf-8"


@pytest.mark.parametrize("path", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.stem)
def test_cassettes_hold_no_secret(path: Path):
    text = path.read_text()

    assert not re.search(r"(?i)authorization|oauth_|set-cookie|bearer ", text)
    for secret in (ALICE.token, ALICE.secret, BOB.token, BOB.secret, CAROL.token, CONSUMER_SECRET):
        assert secret not in text


# The reads an app makes before its first mute, against v1.1's real answers for them.
V11_LOOKUP = load("reference/testlookupusers.decoded.json")["interactions"]
V11_VERIFY = json.loads(
    load("reference/testverifycredentials.json")["interactions"][0]["response"]["body"]["string"]
)
V11_FRIENDSHIPS = load("reference/get_friendships_lookup_muting_blocking.json")


def without_withheld(user: dict[str, Any]) -> list[str]:
    # The 2019 recordings predate `withheld_in_countries` (docs/differences.md, user fields).
    return [key for key in user if key != "withheld_in_countries"]


def test_verify_credentials_answers_v11s_keys_in_v11s_order(make_client: MakeClient):
    me = replay(make_client, "verify_credentials", VERIFY, method="GET").json()

    assert without_withheld(me) == list(V11_VERIFY)
    assert (me["suspended"], me["needs_phone_verification"]) == (False, False)
    assert "muting" not in me


def test_users_show_is_the_real_user_object(make_client: MakeClient):
    url = "http://testserver/1.1/users/show.json?user_id=783214"
    user = replay(make_client, "users_show_by_id", url, method="GET").json()

    assert knowable_differences(user) == {}
    assert without_withheld(user) == list(V11_LOOKUP[1]["response"]["body"][1])


def test_users_lookup_answers_in_the_order_asked_and_leaves_misses_out(make_client: MakeClient):
    url = "http://testserver/1.1/users/lookup.json?screen_name=Twitter%2Cnobody"
    response = replay(make_client, "users_lookup_by_screen_name", url, method="GET")

    (user,) = response.json()
    assert knowable_differences(user) == {}
    assert without_withheld(user) == list(V11_LOOKUP[1]["response"]["body"][1])
    assert response.headers["x-rate-limit-limit"] == "300"


def test_friendships_lookup_in_v11s_shape(make_client: MakeClient):
    url = "http://testserver/1.1/friendships/lookup.json?screen_name=Twitter"
    (relation,) = replay(make_client, "friendships_lookup", url, method="GET").json()

    assert list(relation) == list(V11_FRIENDSHIPS[0])
    assert relation == {
        "name": "Twitter",
        "id": 783214,
        "screen_name": "Twitter",
        "id_str": "783214",
        "connections": ["following", "muting"],
    }


V11_FOLLOWS = load("reference/testcreatedestroyfriendship.decoded.json")["interactions"]
V11_RELATIONSHIP = load("reference/testgetfriendship.decoded.json")["interactions"][0]
FOLLOWS = "http://testserver/1.1/friendships"


@pytest.mark.parametrize(
    ("cassette", "url", "following"),
    [
        ("friendships_create_by_screen_name", f"{FOLLOWS}/create.json?screen_name=Twitter", True),
        ("friendships_destroy_by_user_id", f"{FOLLOWS}/destroy.json?user_id=783214", False),
    ],
)
def test_follow_and_unfollow_answer_v11s_keys_in_v11s_order(
    make_client: MakeClient, cassette: str, url: str, following: bool
):
    """The user object of tweepy's real 2021 follow answers, `muting` included; `following` is
    v2's, after the change (docs/differences.md)."""
    response = replay(make_client, cassette, url)
    user = response.json()

    assert without_withheld(user) == list(V11_FOLLOWS[1]["response"]["body"])
    assert (user["following"], user["muting"]) == (following, False)
    assert knowable_differences(user) == {}
    assert response.headers["x-rate-limit-limit"] == "50"


def test_friendships_show_is_the_recorded_relationship(make_client: MakeClient):
    """The lookup's empty connection_status says what the recording said: no relationship."""
    url = f"{FOLLOWS}/show.json?target_screen_name=Twitter"
    shown = replay(make_client, "friendships_show", url, method="GET").json()

    recorded = V11_RELATIONSHIP["response"]["body"]
    source = {**recorded["relationship"]["source"], "id": int(ALICE.user_id)}
    source["id_str"] = ALICE.user_id
    assert shown == {"relationship": {**recorded["relationship"], "source": source}}
    assert list(shown["relationship"]["source"]) == list(recorded["relationship"]["source"])


WRITES = load("reference/tweet_writes.json")
TWEET_KEYS_NO_V2_SOURCE = {"possibly_sensitive_appealable", "metadata"}


@pytest.mark.parametrize(
    ("cassette", "url", "recorded", "remaining"),
    [
        (
            "statuses_update",
            "http://testserver/1.1/statuses/update.json?status=Test%20Tweet",
            WRITES["v11"]["update"]["body"],
            "199",
        ),
        (
            "favorites_create",
            "http://testserver/1.1/favorites/create.json?id=145344012",
            WRITES["v11"]["favorites/create"]["body"],
            "48",
        ),
    ],
)
def test_a_tweet_write_answers_v11s_tweet_in_v11s_order(
    make_client: MakeClient, cassette: str, url: str, recorded: dict[str, Any], remaining: str
):
    """v2's real create and like answers, then the Tweet read: the keys of tweepy's recorded
    v1.1 answers, in their order; the window of the write, the tighter."""
    response = replay(make_client, cassette, url)
    tweet = response.json()

    assert response.status_code == 200
    assert [k for k in tweet if k not in TWEET_KEYS_NO_V2_SOURCE] == [
        k for k in recorded if k not in TWEET_KEYS_NO_V2_SOURCE
    ]
    assert tweet["favorited"] is recorded["favorited"]
    assert response.headers["x-rate-limit-remaining"] == remaining


def test_a_search_answers_v11s_statuses_and_search_metadata(make_client: MakeClient):
    """The v1.1 query reaches v2 rewritten (`-filter:retweets` → `-is:retweet`), and the answer
    has the real v1.1 search's shape with v2's real rate-limit headers."""
    url = "http://testserver/1.1/search/tweets.json?q=solid%20-filter%3Aretweets"
    response = replay(make_client, "search_tweets", url, method="GET")

    recorded = json.loads(
        load("reference/testsearchtweets.json")["interactions"][0]["response"]["body"]["string"]
    )
    body = response.json()
    assert list(body) == list(recorded)
    # One Tweet found, no page after it: all the recorded keys in their order but next_results.
    assert list(body["search_metadata"]) == [
        key for key in recorded["search_metadata"] if key != "next_results"
    ]
    (status,) = body["statuses"]
    assert (status["id_str"], status["user"]["screen_name"]) == ("1149770607585824769", "Twitter")
    assert status["metadata"] == {"iso_language_code": "en", "result_type": "recent"}
    assert response.headers["x-rate-limit-limit"] == "450"
